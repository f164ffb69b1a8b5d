import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteTable } from "../types.js";
import { parseRouteTable } from "./routes.js";
import { ListenError, type ServiceRegistry, type ServiceRoutes, type ServiceSettings } from "./services.js";

export interface AdminOptions {
  services: ServiceRegistry;
  /**
   * The service the root paths (/routes, /stats, /inflight) act on: the one a daemon started with
   * `--port` opened, so clients of the one-service daemon keep working.
   */
  defaultService?: string;
  /** Settings a PUT /services/:name leaves out. */
  defaults: { holdTimeoutMs: number; holdMaxRequests: number };
  /** Every request must carry `Authorization: Bearer <token>`. */
  token: string;
  /** Default 127.0.0.1: the admin API is for the engine on this machine only. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Extra fields for GET /healthz and GET /services/:name (pid, name). */
  health?: Record<string, unknown>;
  /** Called after the POST /shutdown answer is sent. */
  onShutdown: () => void;
}

const MAX_BODY_BYTES = 1024 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * The router's admin API, used by the engine's BuiltinRouter client:
 * GET /healthz, GET /services, PUT|GET|DELETE /services/:name, GET|PUT /services/:name/routes,
 * GET /services/:name/stats, GET /services/:name/inflight?ids=a,b, POST /services/:name/eject {ids},
 * POST /eject {services: {name: ids}} (several services' ejects in one call), POST /shutdown[?ifIdle=1]; and, for the default service, GET|PUT /routes, GET /stats, GET /inflight.
 */
export async function startAdminServer(options: AdminOptions): Promise<Server> {
  const expectedDigest = digest(`Bearer ${options.token}`);
  const server = createServer((req, res) => {
    if (!authorized(req, expectedDigest)) {
      sendJson(res, 401, { error: "missing or wrong bearer token" }, { "www-authenticate": "Bearer" });
      return;
    }
    route(req, res, options).catch((error: unknown) => {
      const problem = asProblem(error);
      if (!res.headersSent) sendJson(res, problem.status, { error: problem.message, code: problem.code });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

export function adminPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function route(req: IncomingMessage, res: ServerResponse, options: AdminOptions): Promise<void> {
  const url = new URL(req.url ?? "/", "http://admin");
  const { services } = options;
  const scoped = /^\/services\/([^/]+)(\/[a-z]+)?$/.exec(url.pathname);
  if (scoped) {
    const name = serviceName(scoped[1]!);
    const sub = scoped[2] ?? "";
    if (sub === "" && req.method === "PUT") {
      const settings = parseSettings(await readJson(req, "service settings"), options.defaults);
      return sendJson(res, 200, { ...options.health, ...(await services.put(name, settings)) });
    }
    if (sub === "" && req.method === "DELETE") {
      if (!(await services.remove(name))) throw unknownService(name);
      return sendJson(res, 200, { removed: name });
    }
    const service = services.get(name);
    if (!["", "/routes", "/stats", "/inflight", "/eject"].includes(sub))
      throw new HttpProblem(404, `no such admin endpoint: ${url.pathname}`);
    if (!service) throw unknownService(name);
    if (sub === "" && req.method === "GET")
      return sendJson(res, 200, { ...options.health, ...service.view() });
    if (sub === "/eject" && req.method === "POST") {
      service.eject(parseIds(await readJson(req, "eject request")));
      return sendJson(res, 200, service.view());
    }
    return serviceRoute(req, res, url, sub, service);
  }
  const key = `${req.method} ${url.pathname}`;
  switch (key) {
    case "GET /healthz":
      return sendJson(res, 200, { ok: true, ...options.health, services: services.names().length });
    case "GET /services":
      return sendJson(res, 200, { services: services.names() });
    case "POST /eject": {
      const batch = parseEjectBatch(await readJson(req, "eject request"));
      const unknown: string[] = [];
      for (const [name, ids] of Object.entries(batch)) {
        const service = services.get(name);
        if (service) service.eject(ids);
        else unknown.push(name);
      }
      return sendJson(res, 200, { ejected: Object.keys(batch).length - unknown.length, unknown });
    }
    case "POST /shutdown":
      if (url.searchParams.get("ifIdle") === "1" && services.names().length > 0) {
        throw new HttpProblem(409, `the router still serves ${services.names().join(", ")}`, "NOT_IDLE");
      }
      res.once("finish", options.onShutdown);
      return sendJson(res, 202, { shuttingDown: true });
  }
  if (["/routes", "/stats", "/inflight"].includes(url.pathname)) {
    const service = options.defaultService === undefined ? undefined : services.get(options.defaultService);
    if (!service)
      throw new HttpProblem(404, `this router has no default service; use /services/:name${url.pathname}`);
    return serviceRoute(req, res, url, url.pathname, service);
  }
  const known = ["/healthz", "/services", "/eject", "/shutdown"];
  throw known.includes(url.pathname)
    ? new HttpProblem(405, `${req.method} is not allowed on ${url.pathname}`)
    : new HttpProblem(404, `no such admin endpoint: ${url.pathname}`);
}

async function serviceRoute(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  sub: string,
  service: ServiceRoutes,
): Promise<void> {
  switch (`${req.method} ${sub}`) {
    case "GET /routes":
      return sendJson(res, 200, service.routes());
    case "PUT /routes": {
      let table: RouteTable;
      try {
        table = parseRouteTable(await readJson(req, "route table"));
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        throw new HttpProblem(400, `invalid route table: ${(error as Error).message}`);
      }
      service.setRoutes(table);
      return sendJson(res, 200, service.routes());
    }
    case "GET /stats":
      return sendJson(res, 200, service.stats());
    case "GET /inflight": {
      const ids = (url.searchParams.get("ids") ?? "").split(",").filter((id) => id !== "");
      const inFlight: Record<string, number> = {};
      for (const id of ids) inFlight[id] = service.inFlight(id);
      return sendJson(res, 200, { inFlight });
    }
  }
  throw new HttpProblem(405, `${req.method} is not allowed on ${url.pathname}`);
}

function serviceName(segment: string): string {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw new HttpProblem(400, `invalid service name "${segment}"`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name))
    throw new HttpProblem(400, `invalid service name "${name}": letters, digits, ".", "_" and "-" only`);
  return name;
}

function unknownService(name: string): HttpProblem {
  return new HttpProblem(
    404,
    `no service "${name}" in this router; PUT /services/${name} first`,
    "UNKNOWN_SERVICE",
  );
}

function parseSettings(body: unknown, defaults: AdminOptions["defaults"]): ServiceSettings {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new HttpProblem(
      400,
      "service settings are an object: {host, port, previewPort?, holdTimeoutMs?, holdMaxRequests?}",
    );
  const fields = body as Record<string, unknown>;
  const integer = (field: string, max: number, fallback?: number): number => {
    const value = fields[field] ?? fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max)
      throw new HttpProblem(
        400,
        `${field} must be a whole number from 0 to ${max}, got ${JSON.stringify(value)}`,
      );
    return value;
  };
  const host = fields.host;
  if (typeof host !== "string" || host === "") throw new HttpProblem(400, "host must be a non-empty string");
  const previewPort = fields.previewPort ?? null;
  return {
    host,
    port: integer("port", 65535),
    ...(previewPort === null ? {} : { previewPort: integer("previewPort", 65535) }),
    holdTimeoutMs: integer("holdTimeoutMs", 2 ** 31 - 1, defaults.holdTimeoutMs),
    holdMaxRequests: integer("holdMaxRequests", 2 ** 31 - 1, defaults.holdMaxRequests),
  };
}

function parseIds(body: unknown): string[] {
  const ids = (body as { ids?: unknown } | null)?.ids;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string" || id === ""))
    throw new HttpProblem(400, 'an eject request is {"ids": ["endpoint-id", ...]}');
  return ids as string[];
}

/** `{"services": {"name": ["endpoint-id", ...], ...}}`: the ejects of several services in one call. */
function parseEjectBatch(body: unknown): Record<string, string[]> {
  const services = (body as { services?: unknown } | null)?.services;
  const problem = new HttpProblem(
    400,
    'a batch eject request is {"services": {"NAME": ["endpoint-id", ...]}}',
  );
  if (typeof services !== "object" || services === null || Array.isArray(services)) throw problem;
  const batch: Record<string, string[]> = {};
  for (const [name, ids] of Object.entries(services)) {
    if (serviceName(name) !== name) throw problem;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string" || id === "")) throw problem;
    batch[name] = ids as string[];
  }
  return batch;
}

function asProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof ListenError) {
    return new HttpProblem(
      error.code === "EADDRINUSE" ? 409 : error.code === "EACCES" ? 403 : 500,
      error.message,
      error.code,
    );
  }
  return new HttpProblem(500, error instanceof Error ? error.message : String(error));
}

async function readJson(req: IncomingMessage, what: string): Promise<unknown> {
  const text = await readBody(req);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(400, `invalid ${what}: ${(error as Error).message}`);
  }
}

function authorized(req: IncomingMessage, expectedDigest: Buffer): boolean {
  const header = req.headers.authorization;
  // Comparing fixed-length digests keeps the comparison constant-time whatever the header's length.
  return header !== undefined && timingSafeEqual(digest(header), expectedDigest);
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
