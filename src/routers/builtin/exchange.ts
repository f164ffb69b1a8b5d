// The per-request state of the builtin router's proxy, what its retry decision reads, and one try of a
// request on an upstream.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import type { CompiledBackend, EndpointState } from "./endpoints.js";
import { endToEndHeaders } from "./headers.js";
import type { EndpointClient } from "./upstream-pool.js";

/**
 * What an exchange and its attempts ask of the proxy that owns them (RouterProxy implements it): kept
 * here so that proxy.ts imports this file and not the other way round.
 */
export interface ExchangeProxy {
  readonly isClosing: boolean;
  dispatch(exchange: Exchange): void;
  settle(attempt: UpstreamAttempt): void;
  mayRetry(exchange: Exchange, attempt: UpstreamAttempt, error: NodeJS.ErrnoException): boolean;
  respondError(exchange: Exchange, status: number, message: string): void;
  finish(exchange: Exchange): void;
}

/** The state of one client request while the router handles it. */
export interface Exchange {
  proxy: ExchangeProxy;
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
/** The connection broke before any response byte (UND_ERR_SOCKET: undici's "other side closed"). */
export const RETRY_ON_RESET = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);
export const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/**
 * One try of an exchange on one endpoint: undici's dispatch handler (its callbacks run in this order:
 * onConnect when the request is written on a connected socket, onHeaders, onData..., then onComplete or
 * onError once).
 */
export class UpstreamAttempt implements Dispatcher.DispatchHandler {
  /** The pool's client the request went to (set by EndpointClient.dispatch). */
  client: EndpointClient | undefined = undefined;
  /** True once the endpoint's and the version's in-flight counts were released. */
  settled = false;
  /** True once the upstream's response head arrived: from then on no retry. */
  responded = false;
  /** True when the request went out on a keep-alive socket that had served a response before. */
  reused = false;
  private abort: ((error?: Error) => void) | undefined = undefined;
  private resume: (() => void) | undefined = undefined;
  private onDrain: (() => void) | undefined = undefined;

  constructor(
    readonly exchange: Exchange,
    readonly backend: CompiledBackend,
    readonly endpoint: EndpointState,
  ) {}

  /** Stops the upstream request (the client went away); one still queued in the pool stops in onConnect. */
  cancel(): void {
    this.abort?.();
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
    const exchange = this.exchange;
    if (exchange.finished || exchange.attempt !== this) return void abort();
    this.reused = this.client !== undefined && this.client.served > 0;
    // A streamed body is read from now on: the request can no longer be retried.
    if (exchange.body === undefined) exchange.bodyStarted = true;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx informational: node:http ignored them too
    this.responded = true;
    const exchange = this.exchange;
    if (exchange.finished) {
      this.abort?.();
      return false;
    }
    const raw = new Array<string>(rawHeaders.length);
    for (let i = 0; i < rawHeaders.length; i++) raw[i] = rawHeaders[i]!.toString("latin1");
    const headers = endToEndHeaders(raw);
    if (exchange.proxy.isClosing) headers.push("connection", "close");
    exchange.res.writeHead(statusCode, statusText, headers);
    this.resume = resume;
    return true;
  }

  /** Forwards the upstream's body; pauses the upstream socket while the client is slow. */
  onData(chunk: Buffer): boolean {
    const exchange = this.exchange;
    if (exchange.finished) return true;
    if (exchange.res.write(chunk)) return true;
    this.onDrain ??= () => this.resume!();
    exchange.res.once("drain", this.onDrain);
    return false;
  }

  onComplete(): void {
    if (this.client !== undefined) this.client.served++;
    const exchange = this.exchange;
    exchange.proxy.settle(this);
    if (!exchange.finished) exchange.res.end();
  }

  onError(error: Error): void {
    const exchange = this.exchange;
    const proxy = exchange.proxy;
    proxy.settle(this);
    if (exchange.finished || exchange.attempt !== this) return;
    const { endpoint } = this;
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    if (this.responded) {
      exchange.res.destroy();
    } else if (proxy.mayRetry(exchange, this, error as NodeJS.ErrnoException)) {
      exchange.lastFailure = `upstream ${endpoint.id} failed: ${code}`;
      exchange.tried ??= [];
      exchange.tried.push(endpoint);
      proxy.dispatch(exchange);
    } else {
      proxy.respondError(exchange, 502, `upstream ${endpoint.id} failed: ${code}\n`);
    }
  }
}
