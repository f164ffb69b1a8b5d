import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { TandemEvent } from "../core/types.js";
import { ID_PARAMS, SEQ, strictObject } from "./schemas.js";
import type { ApiContext } from "./server.js";

export interface StreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. Default 15s. */
  heartbeatMs?: number;
  /** How often the store is read for events written by other processes. Default 500ms. */
  pollMs?: number;
}

const BATCH = 500;

/**
 * GET /api/v1/events/stream: Server-Sent Events of the project (or of one release with `release=`).
 * Each message is one event: `id:` is its store seq, `data:` its JSON. A reconnecting client sends
 * `Last-Event-ID` (EventSource does so by itself) or `after=SEQ` and receives every event after it,
 * so nothing is lost between connections. Since EventSource cannot set headers, this route alone also
 * takes the token as `?access_token=`.
 */
export function registerEventStream(
  app: FastifyInstance,
  ctx: ApiContext,
  options: StreamOptions = {},
): void {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const pollMs = options.pollMs ?? 500;
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const close of [...open]) close();
  });

  app.get<{ Querystring: { release?: string; after?: string; access_token?: string } }>(
    "/api/v1/events/stream",
    {
      schema: {
        summary: "live events as Server-Sent Events (resume with Last-Event-ID or after=SEQ)",
        querystring: strictObject({
          release: ID_PARAMS.properties.id,
          after: SEQ,
          access_token: { type: "string", maxLength: 200 },
        }),
        headers: { type: "object", properties: { "last-event-id": SEQ } },
      },
    },
    async (request, reply) => {
      const { release } = request.query;
      if (release) await ctx.orchestrator.getStatus(release);
      const header = request.headers["last-event-id"];
      let lastSeq = Number(typeof header === "string" ? header : (request.query.after ?? 0));
      reply.hijack();
      const raw: ServerResponse = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      raw.write("retry: 2000\n\n");

      let closed = false;
      let pumping = false;
      let again = false;
      const pump = async () => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            let batch: TandemEvent[];
            do {
              batch = await ctx.store.listEvents({
                project: ctx.orchestrator.config.project,
                releaseId: release,
                afterSeq: lastSeq,
                limit: BATCH,
              });
              for (const event of batch) {
                if (closed) return;
                raw.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
                lastSeq = event.seq ?? lastSeq;
              }
            } while (batch.length === BATCH && !closed);
          } while (again && !closed);
        } catch (error) {
          request.log.warn(
            { err: error instanceof Error ? error.message : String(error) },
            "event stream read failed",
          );
        } finally {
          pumping = false;
        }
      };
      const poll = setInterval(() => void pump(), pollMs);
      const heartbeat = setInterval(() => {
        if (!closed) raw.write(": heartbeat\n\n");
      }, heartbeatMs);
      const unsubscribe = ctx.orchestrator.subscribe(() => void pump());
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(poll);
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(close);
        raw.end();
      };
      open.add(close);
      request.raw.on("close", close);
      raw.on("close", close);
      await pump();
    },
  );
}
