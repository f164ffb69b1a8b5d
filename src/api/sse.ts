import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { TandemError } from "../core/errors.js";
import { LIMITS } from "../core/limits.js";
import type { TandemEvent } from "../core/types.js";
import type { ApiContext } from "./context.js";
import { ID_PARAMS, SEQ, strictObject } from "./schemas.js";

export interface StreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. Default 15s. */
  heartbeatMs?: number;
  /** How often the store is read for events written by other processes. Default 500ms. */
  pollMs?: number;
  /** Open streams per token; one more is a 429. Default LIMITS.streamsPerToken. */
  maxPerToken?: number;
  /** Open streams in all; one more is a 429. Default LIMITS.streamsTotal. */
  maxTotal?: number;
  /**
   * Bytes queued for a reader that does not keep up; past this the stream is closed (the client
   * reconnects with Last-Event-ID and loses nothing). Default LIMITS.streamBufferBytes.
   */
  maxBufferedBytes?: number;
  /** A reader that takes nothing (no `drain`) for this long is closed. Default 30s. */
  stallMs?: number;
}

const BATCH = 500;

/**
 * GET /api/v1/events/stream: Server-Sent Events of the project (or of one release with `release=`).
 * Each message is one event: `id:` is its store seq, `data:` its JSON. A reconnecting client sends
 * `Last-Event-ID` (EventSource does so by itself) or `after=SEQ` and receives every event after it,
 * so nothing is lost between connections. Since EventSource cannot set headers, this route alone also
 * takes the token as `?access_token=`. Streams are limited per token and in all (429 with Retry-After
 * beyond), and a reader that does not keep up is waited for (`drain`), and closed once its queue
 * passes `maxBufferedBytes` or it took nothing for `stallMs`: memory per stream stays bounded.
 */
export function registerEventStream(
  app: FastifyInstance,
  ctx: ApiContext,
  options: StreamOptions = {},
): void {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const pollMs = options.pollMs ?? 500;
  const maxPerToken = options.maxPerToken ?? LIMITS.streamsPerToken;
  const maxTotal = options.maxTotal ?? LIMITS.streamsTotal;
  const maxBuffered = options.maxBufferedBytes ?? LIMITS.streamBufferBytes;
  const stallMs = options.stallMs ?? 30_000;
  const open = new Set<() => void>();
  const perToken = new Map<string, number>();
  const admit = (tokenId: string) => {
    const mine = perToken.get(tokenId) ?? 0;
    if (open.size >= maxTotal || mine >= maxPerToken) {
      const which =
        open.size >= maxTotal
          ? `the server's limit of ${maxTotal} open event streams`
          : `the limit of ${maxPerToken} open event streams per token`;
      throw new TandemError("TANDEM_ERR_BUSY", `too many event streams: ${which} is reached`, {
        retryAfterSeconds: 5,
        hint: "close a stream first, or try again later",
      });
    }
    perToken.set(tokenId, mine + 1);
    return () => {
      const left = (perToken.get(tokenId) ?? 1) - 1;
      if (left <= 0) perToken.delete(tokenId);
      else perToken.set(tokenId, left);
    };
  };
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
      const leave = admit(ctx.token(request).id);
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
      let draining = false;
      let stopStall = () => {};
      /** Writes, or closes a reader whose queue passed the bound; false: wait for `drain`. */
      const send = (text: string): boolean => {
        if (closed) return false;
        const flushed = raw.write(text);
        if (raw.writableLength > maxBuffered) {
          request.log.warn({ queued: raw.writableLength }, "event stream reader too slow: closed");
          close();
          return false;
        }
        if (!flushed && !draining) {
          draining = true;
          const stalled = setTimeout(() => {
            request.log.warn({ queued: raw.writableLength }, "event stream reader stalled: closed");
            close();
          }, stallMs);
          raw.once("drain", () => {
            clearTimeout(stalled);
            draining = false;
            void pump();
          });
          stopStall = () => clearTimeout(stalled);
        }
        return flushed;
      };
      const pump = async () => {
        if (pumping || draining) {
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
                const flushed = send(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
                lastSeq = event.seq ?? lastSeq;
                if (!flushed) return; // `drain` pumps again
              }
            } while (batch.length === BATCH && !closed);
          } while (again && !closed && !draining);
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
        if (!closed && !draining) send(": heartbeat\n\n");
      }, heartbeatMs);
      const unsubscribe = ctx.orchestrator.subscribe(() => void pump());
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(poll);
        clearInterval(heartbeat);
        stopStall();
        unsubscribe();
        open.delete(close);
        leave();
        raw.removeListener("close", close);
        request.raw.removeListener("close", close);
        // A reader that stopped reading never takes what is queued: do not keep it.
        if (raw.writableLength > 0 && draining) raw.destroy();
        else raw.end();
      };
      open.add(close);
      request.raw.on("close", close);
      raw.on("close", close);
      // A client gone while the route looked the release up: its `close` has fired already.
      if (raw.destroyed || request.raw.socket?.destroyed !== false) return close();
      await pump();
    },
  );
}
