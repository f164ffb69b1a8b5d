import swagger from "@fastify/swagger";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import { normalizeActor } from "../core/actor.js";
import type { Clock } from "../core/clock.js";
import { TandemError } from "../core/errors.js";
import type { Orchestrator } from "../orchestrator.js";
import type { Store } from "../store/types.js";
import type { ApiContext } from "./context.js";
import { registerDashboardRoutes } from "./dashboard-files.js";
import { sendError } from "./errors.js";
import { registerMetricsRoute } from "./metrics.js";
import { openapiTransform } from "./openapi.js";
import { API_PREFIX, checkEnvironment, checkRole, routePermission } from "./permissions.js";
import { registerAuditRoutes } from "./routes-audit.js";
import { registerOperationRoutes } from "./routes-operations.js";
import { registerProjectRoutes } from "./routes-project.js";
import { registerReleaseRoutes } from "./routes-releases.js";
import { registerTokenRoutes } from "./routes-tokens.js";
import { SHARED_SCHEMAS } from "./schemas.js";
import { checkScope } from "./scope.js";
import { registerEventStream, type StreamOptions } from "./sse.js";
import { authenticate } from "./tokens.js";

export interface ApiServerOptions {
  orchestrator: Orchestrator;
  /** Default: the orchestrator's. */
  store?: Store;
  /** Default: the orchestrator's. */
  clock?: Clock;
  /** Fastify's logger: false (default), true (stdout), or a level and a stream (tests capture lines). */
  logger?: boolean | { level?: string; stream?: { write(line: string): void } };
  /** A pino logger of one's own (`tandem serve`'s, see src/cli/logger.ts); wins over `logger`. */
  loggerInstance?: FastifyBaseLogger;
  /** Server-Sent Events tuning. */
  stream?: StreamOptions;
  /** The built dashboard (index.html and assets/). Default: dist/web of this package. */
  webRoot?: string;
}

/** `?access_token=` never reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, "$1[redacted]");
}

/**
 * The HTTP API (README "Server and API"): JSON routes under /api/v1 with request and response schemas,
 * bearer tokens with roles, Server-Sent Events, Prometheus /metrics, an OpenAPI 3 document.
 * Call `ready()` (or `listen`) before use; closing the server does not close the orchestrator.
 */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const { orchestrator } = options;
  const store = options.store ?? orchestrator.store;
  const clock = options.clock ?? orchestrator.clock;
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: fastifyLogger(options) }),
    exposeHeadRoutes: false,
    // Errors of the router itself (a path too long, bad percent-encoding): the same JSON shape.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      if (!routePermission(method, route.url)) {
        throw new TandemError(
          "TANDEM_ERR_CONFIG",
          `route ${method} ${route.url} is not in src/api/permissions.ts`,
        );
      }
    }
  });

  app.addHook("onRequest", async (request) => {
    const url = request.routeOptions.url;
    if (!url) return;
    const route = routePermission(request.method, url);
    if (!route || route.permission === "public") return;
    const token = await authenticate(store, clock, bearer(request, url === `${API_PREFIX}/events/stream`));
    checkRole(token, route);
    request.token = token;
  });

  // Once the body is parsed and validated: the environments the request touches (src/api/scope.ts).
  app.addHook("preHandler", async (request) => {
    const url = request.routeOptions.url;
    const route = url ? routePermission(request.method, url) : undefined;
    if (route && request.token) await checkScope(route, request.token, request, orchestrator);
  });

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: "TANDEM_ERR_NOT_FOUND",
        message: `no route ${request.method} ${redactUrl(request.url).slice(0, 200)}`,
      },
    }),
  );

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "Tandem API", version: "1" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: openapiTransform(API_PREFIX),
    // A shared schema keeps its $id as its name in components.schemas (default: def-0, def-1…).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  const context: ApiContext = {
    orchestrator,
    store,
    clock,
    token(request) {
      if (!request.token) throw new TandemError("TANDEM_ERR_UNAUTHENTICATED", "no token");
      return request.token;
    },
    allowEnvironment(request, environment) {
      checkEnvironment(context.token(request), environment);
    },
    source(request) {
      const token = context.token(request);
      return { actor: normalizeActor(token.actor), origin: "api", token: { id: token.id, name: token.name } };
    },
  };

  app.get("/healthz", { schema: { hide: true } }, async () => ({ ok: true }));
  app.get(
    `${API_PREFIX}/openapi.json`,
    { schema: { summary: "this API's OpenAPI 3 document", security: [] } },
    async () => app.swagger(),
  );
  registerReleaseRoutes(app, context);
  registerProjectRoutes(app, context);
  registerTokenRoutes(app, context);
  registerAuditRoutes(app, context);
  registerOperationRoutes(app, context);
  registerEventStream(app, context, options.stream);
  registerMetricsRoute(app, context);
  await registerDashboardRoutes(app, options.webRoot);
  return app;
}

function fastifyLogger(options: ApiServerOptions) {
  const serializers = { req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url) }) };
  if (typeof options.logger === "object") {
    return { level: options.logger.level ?? "info", stream: options.logger.stream, serializers };
  }
  return options.logger === true ? { serializers } : false;
}

function bearer(request: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === "string") {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new TandemError("TANDEM_ERR_UNAUTHENTICATED", "the Authorization header is not `Bearer TOKEN`");
    }
    return match[1];
  }
  if (allowQuery) {
    const query = request.query as Record<string, unknown> | undefined;
    const token = query?.access_token;
    if (typeof token === "string" && token !== "") return token;
  }
  return undefined;
}
