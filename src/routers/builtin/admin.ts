import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteTable } from "../types.js";
import type { RouterProxy } from "./proxy.js";
import { parseRouteTable, previewTable } from "./routes.js";

export interface AdminOptions {
  proxy: RouterProxy;
  /** The preview listener's proxy, when the router has one: it serves the table's `preview` section. */
  preview?: RouterProxy;
  /** Every request must carry `Authorization: Bearer <token>`. */
  token: string;
  /** Default 127.0.0.1: the admin API is for the engine on this machine only. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Extra fields for GET /healthz (pid, listen address). */
  health?: Record<string, unknown>;
  /** Called after the POST /shutdown answer is sent. */
  onShutdown: () => void;
}

const MAX_BODY_BYTES = 1024 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The router's admin API, used by the engine's BuiltinRouter client:
 * GET /healthz, GET|PUT /routes, GET /stats, GET /inflight?ids=a,b, POST /shutdown.
 */
export async function startAdminServer(options: AdminOptions): Promise<Server> {
  const expectedDigest = digest(`Bearer ${options.token}`);
  const state: AdminState = { previewSection: {} };
  const server = createServer((req, res) => {
    if (!authorized(req, expectedDigest)) {
      sendJson(res, 401, { error: "missing or wrong bearer token" }, { "www-authenticate": "Bearer" });
      return;
    }
    route(req, res, options, state).catch((error: unknown) => {
      const status = error instanceof HttpProblem ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) sendJson(res, status, { error: message });
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

interface AdminState {
  /** The last preview section set; kept even without a preview listener, so GET /routes round-trips. */
  previewSection: Pick<RouteTable, "preview">;
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  options: AdminOptions,
  state: AdminState,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://admin");
  const { proxy, preview } = options;
  const key = `${req.method} ${url.pathname}`;
  switch (key) {
    case "GET /healthz":
      return sendJson(res, 200, { ok: true, ...options.health });
    case "GET /routes":
      return sendJson(res, 200, { ...proxy.routes(), ...state.previewSection });
    case "PUT /routes": {
      let table: ReturnType<typeof parseRouteTable>;
      try {
        table = parseRouteTable(JSON.parse(await readBody(req)));
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        throw new HttpProblem(400, `invalid route table: ${(error as Error).message}`);
      }
      proxy.setRoutes({ backends: table.backends });
      preview?.setRoutes(previewTable(table));
      state.previewSection = table.preview ? { preview: table.preview } : {};
      return sendJson(res, 200, { ...proxy.routes(), ...state.previewSection });
    }
    case "GET /stats":
      return sendJson(res, 200, proxy.stats());
    case "GET /inflight": {
      const ids = (url.searchParams.get("ids") ?? "").split(",").filter((id) => id !== "");
      const inFlight: Record<string, number> = {};
      for (const id of ids) inFlight[id] = proxy.inFlight(id) + (preview?.inFlight(id) ?? 0);
      return sendJson(res, 200, { inFlight });
    }
    case "POST /shutdown":
      res.once("finish", options.onShutdown);
      return sendJson(res, 202, { shuttingDown: true });
  }
  const known = ["/healthz", "/routes", "/stats", "/inflight", "/shutdown"];
  throw known.includes(url.pathname)
    ? new HttpProblem(405, `${req.method} is not allowed on ${url.pathname}`)
    : new HttpProblem(404, `no such admin endpoint: ${url.pathname}`);
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
