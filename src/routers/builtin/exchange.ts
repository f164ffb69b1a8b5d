// The per-request state of the builtin router's proxy, and what its retry decision reads.
import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { CompiledBackend, EndpointState } from "./endpoints.js";
import type { RouterProxy } from "./proxy.js";

/** The state of one client request while the router handles it. */
export interface Exchange {
  proxy: RouterProxy;
  req: IncomingMessage;
  res: ServerResponse;
  startedAt: number;
  /** Flat [name, value, ...] list for the upstream request. */
  headers: string[];
  /** False when the client sent no Host: each attempt then names its upstream, as `http.request` would. */
  hasHost: boolean;
  /** null: no body; Buffer: fully read, replayable; undefined: streamed from req, not replayable. */
  body: Buffer | null | undefined;
  /** True once bytes of a streamed body went to an upstream: from then on no retry. */
  bodyStarted: boolean;
  backend: CompiledBackend | undefined;
  endpoint: EndpointState | undefined;
  upstream: ClientRequest | undefined;
  attempts: number;
  tried: EndpointState[] | undefined;
  /** Why the last attempt failed, for the 502 body. */
  lastFailure: string | undefined;
  holdTimer: NodeJS.Timeout | undefined;
  finished: boolean;
}

/**
 * The hot path's listeners are shared by every request (no closure per request): each finds its state on
 * the emitter it listens to, under these keys.
 */
export const EXCHANGE = Symbol("exchange");
export const ATTEMPT = Symbol("attempt");

/** One try of an exchange on one endpoint; kept on its ClientRequest under ATTEMPT. */
export interface Attempt {
  exchange: Exchange;
  backend: CompiledBackend;
  endpoint: EndpointState;
  /** True once the endpoint's and the version's in-flight counts were released. */
  settled: boolean;
  /** True once the upstream's response head arrived: from then on no retry. */
  responded: boolean;
}

export type TaggedResponse = ServerResponse & { [EXCHANGE]?: Exchange };
export type TaggedRequest = ClientRequest & { [ATTEMPT]?: Attempt };
export type TaggedIncoming = IncomingMessage & { [EXCHANGE]?: Exchange };

export const RETRY_ON_CONNECT = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
export const RETRY_ON_RESET = new Set(["ECONNRESET", "EPIPE"]);
export const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
