// The per-request state of the builtin router's proxy, and what its retry decision reads.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CompiledBackend, EndpointState } from "./endpoints.js";
import type { RouterProxy } from "./proxy.js";
import type { UpstreamAttempt } from "./upstream-attempt.js";

/** The state of one client request while the router handles it. */
export interface Exchange {
  proxy: RouterProxy;
  req: IncomingMessage;
  res: ServerResponse;
  startedAt: number;
  /** Flat [name, value, ...] list for the upstream request (without Host, undici names the upstream). */
  headers: string[];
  /** null: no body; Buffer: fully read, replayable; undefined: streamed from req, not replayable. */
  body: Buffer | null | undefined;
  /** True once bytes of a streamed body went to an upstream: from then on no retry. */
  bodyStarted: boolean;
  backend: CompiledBackend | undefined;
  endpoint: EndpointState | undefined;
  /** The current try on an upstream (earlier ones failed). */
  attempt: UpstreamAttempt | undefined;
  attempts: number;
  tried: EndpointState[] | undefined;
  /** Why the last attempt failed, for the 502 body. */
  lastFailure: string | undefined;
  holdTimer: NodeJS.Timeout | undefined;
  finished: boolean;
}

/**
 * The response's close listener is shared by every request (no closure per request): it finds its state on
 * the response, under this key.
 */
export const EXCHANGE = Symbol("exchange");

export type TaggedResponse = ServerResponse & { [EXCHANGE]?: Exchange };

/** Connect failures: the request surely did not reach the upstream (UND_ERR_CONNECT_TIMEOUT: undici's 10 s). */
export const RETRY_ON_CONNECT = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
]);
/** The connection broke before any response byte; UND_ERR_SOCKET is undici's "other side closed". */
/** The connection broke before any response byte (UND_ERR_SOCKET: undici's "other side closed"). */
export const RETRY_ON_RESET = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);
export const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
