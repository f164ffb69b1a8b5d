import type { Dispatcher } from "undici";
import type { CompiledBackend, EndpointState } from "./endpoints.js";
import type { Exchange } from "./exchange.js";
import { endToEndHeaders } from "./headers.js";
import type { EndpointClient } from "./upstream-pool.js";

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
