import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { RouteTable, VersionStats } from "../types.js";
import {
  type CompiledBackend,
  type CompiledTable,
  chooseEndpoint,
  EMPTY_COMPILED_TABLE,
  EndpointRegistry,
  type EndpointState,
} from "./endpoints.js";
import {
  EXCHANGE,
  type Exchange,
  type ExchangeProxy,
  IDEMPOTENT,
  RETRY_ON_CONNECT,
  RETRY_ON_RESET,
  type TaggedResponse,
  UpstreamAttempt,
} from "./exchange.js";
import { FastPath, type FastPathHost } from "./fast-path.js";
import { upstreamRequestHeaders } from "./headers.js";
import { NativeDataPlane } from "./native-path.js";
import { VersionStatsRecorder } from "./stats.js";

export interface ProxyOptions {
  /** How long a request waits for an endpoint when the table has none. */
  holdTimeoutMs: number;
  /** How many requests may wait at once; more get 503 right away. */
  holdMaxRequests: number;
  /** Concurrent sockets per endpoint. Default 256. */
  maxSocketsPerEndpoint?: number;
  /** Tries per request, across endpoints, for failures that happen before the upstream answered. Default 3. */
  maxAttempts?: number;
  /** Request bodies up to this size (with a Content-Length) are buffered so they can be retried. Default 64 KiB. */
  replayableBodyLimit?: number;
  /** The native data plane (native/router/) when it loaded; false: the JS fast path. Default: unless TANDEM_ROUTER_NATIVE=0. */
  native?: boolean;
}

/** Tandem's weighted reverse proxy: the data plane of the builtin router. */
export class RouterProxy implements ExchangeProxy, FastPathHost {
  readonly server: Server;
  /** Plain requests go to the hand-written fast path (fast-path.ts), the rest to node:http. */
  private readonly fast: FastPath;
  /** When loaded, it takes the plain requests before the JS fast path, which gets what it hands back. */
  private readonly native: NativeDataPlane | undefined;
  private compiled: CompiledTable = EMPTY_COMPILED_TABLE;
  private readonly endpoints: EndpointRegistry;
  private readonly statsByVersion = new Map<string, VersionStatsRecorder>();
  private readonly held = new Set<Exchange>();
  private active = 0;
  private closing = false;
  /** @internal True once close() began: responses then tell clients to close their connections. */
  get isClosing(): boolean {
    return this.closing;
  }
  /** @internal */
  readonly maxAttempts: number;
  /** @internal */
  readonly replayableBodyLimit: number;
  /** @internal */
  get compiledTable(): CompiledTable {
    return this.compiled;
  }

  constructor(private readonly options: ProxyOptions) {
    this.endpoints = new EndpointRegistry(options.maxSocketsPerEndpoint ?? 256);
    this.maxAttempts = options.maxAttempts ?? 3;
    this.replayableBodyLimit = options.replayableBodyLimit ?? 64 * 1024;
    this.server = createServer((req, res) => this.handle(req, res));
    // Connections go to the fast path first; it hands those it does not take to node:http's own listener.
    const nodeConnection = this.server.listeners("connection")[0] as (socket: Socket) => void;
    this.server.removeListener("connection", nodeConnection);
    this.fast = new FastPath(this, (socket) => nodeConnection.call(this.server, socket));
    const maxSockets = options.maxSocketsPerEndpoint ?? 256;
    const native =
      options.native === false
        ? undefined
        : NativeDataPlane.create(
            { maxAttempts: this.maxAttempts, replayableBodyLimit: this.replayableBodyLimit, maxSockets },
            (socket) => this.fast.accept(socket),
          );
    this.native = native;
    if (native === undefined) {
      this.server.on("connection", (socket: Socket) => this.fast.accept(socket));
    } else {
      // Accepted paused: the addon reads the connection from its first byte.
      (this.server as unknown as { pauseOnConnect: boolean }).pauseOnConnect = true;
      this.server.on("connection", (socket: Socket) => {
        if (native.accept(socket)) return;
        this.fast.accept(socket);
        socket.resume();
      });
    }
  }

  /** Which data plane takes this proxy's plain requests. */
  get dataPlane(): "native" | "js" {
    return this.native === undefined ? "js" : "native";
  }

  /** @internal For tests: the native data plane's connections (undefined on the JS path). */
  nativeConnections(): { open: number; handedBack: number } | undefined {
    return this.native?.connections();
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Replaces the route table in one swap; requests waiting for an endpoint go out if it has any. */
  setRoutes(table: RouteTable): void {
    this.compiled = this.endpoints.compile(table, (version) => this.statsOf(version));
    this.native?.setRoutes(table);
    if (this.compiled.hasEndpoints && this.held.size > 0) {
      const waiting = [...this.held];
      this.held.clear();
      for (const exchange of waiting) {
        clearTimeout(exchange.holdTimer);
        exchange.backend = undefined;
        this.dispatch(exchange);
      }
    }
  }

  routes(): RouteTable {
    return this.compiled.table;
  }

  stats(): Record<string, VersionStats> {
    const result: Record<string, VersionStats> = {};
    for (const [version, recorder] of this.statsByVersion) result[version] = recorder.snapshot();
    if (this.native === undefined) return result;
    for (const [version, counters] of this.native.stats()) {
      const stats = result[version];
      if (stats === undefined) continue;
      stats.requests += counters.requests;
      stats.errors += counters.errors;
      stats.inFlight += counters.inFlight;
      for (let i = 0; i < stats.latency.counts.length; i++)
        stats.latency.counts[i]! += counters.counts[i] ?? 0;
    }
    return result;
  }

  inFlight(endpointId: string): number {
    return this.endpoints.inFlight(endpointId) + (this.native?.inFlight(endpointId) ?? 0);
  }

  /** Client requests being handled (held ones included). */
  activeRequests(): number {
    return this.active + (this.native?.activeRequests() ?? 0);
  }

  /**
   * Stops accepting connections, answers held requests with 503, lets in-flight requests finish
   * (at most `graceMs`), then closes every connection and upstream pool.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.native?.setClosing();
    this.server.closeIdleConnections();
    this.fast.closeIdle();
    this.native?.closeIdle();
    for (const exchange of [...this.held]) this.failHeld(exchange, "the router is shutting down");
    const deadline = Date.now() + graceMs;
    while (this.activeRequests() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.server.closeAllConnections();
    this.fast.destroyAll();
    this.native?.destroyAll();
    await closed;
    this.endpoints.destroyAll();
  }

  /** @internal */
  requestStarted(): void {
    this.active++;
  }

  /** @internal */
  requestEnded(): void {
    this.active--;
  }

  /** @internal */
  released(endpoint: EndpointState): void {
    this.endpoints.released(endpoint);
  }

  /** @internal */
  sweep(now: number): void {
    this.endpoints.sweep(now);
  }

  private statsOf(version: string): VersionStatsRecorder {
    let recorder = this.statsByVersion.get(version);
    if (!recorder) {
      recorder = new VersionStatsRecorder();
      this.statsByVersion.set(version, recorder);
    }
    return recorder;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.active++;
    const forwarded = upstreamRequestHeaders(req.rawHeaders, req.socket.remoteAddress);
    const exchange: Exchange = {
      proxy: this,
      req,
      res,
      startedAt: performance.now(),
      headers: forwarded.headers,
      body: undefined,
      bodyStarted: false,
      backend: undefined,
      endpoint: undefined,
      attempt: undefined,
      attempts: 0,
      tried: undefined,
      lastFailure: undefined,
      holdTimer: undefined,
      finished: false,
    };
    (res as TaggedResponse)[EXCHANGE] = exchange;
    res.on("close", onResponseClose);

    const length = forwarded.contentLength;
    const chunked = forwarded.chunked;
    if (!chunked && (length === undefined || length === "0")) {
      exchange.body = null;
      this.dispatch(exchange);
    } else if (!chunked && Number(length) <= this.replayableBodyLimit) {
      this.bufferBody(exchange);
    } else {
      this.dispatch(exchange);
    }
  }

  private bufferBody(exchange: Exchange): void {
    const chunks: Buffer[] = [];
    exchange.req.on("data", (chunk: Buffer) => chunks.push(chunk));
    exchange.req.once("end", () => {
      exchange.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.dispatch(exchange);
    });
  }

  /** @internal */
  dispatch(exchange: Exchange): void {
    if (exchange.finished) return;
    const compiled = this.compiled;
    const choice = chooseEndpoint(compiled, exchange.backend, exchange.tried);
    if (choice === undefined) {
      if (compiled.hasEndpoints)
        this.respondError(exchange, 502, `no endpoint could take the request: ${exchange.lastFailure}\n`);
      else this.hold(exchange);
      return;
    }
    const { backend, endpoint } = choice;
    this.send(exchange, backend, endpoint);
  }

  private send(exchange: Exchange, backend: CompiledBackend, endpoint: EndpointState): void {
    const { req } = exchange;
    exchange.attempts++;
    exchange.backend = backend;
    exchange.endpoint = endpoint;
    endpoint.inFlight++;
    backend.stats.inFlight++;
    const attempt = new UpstreamAttempt(exchange, backend, endpoint);
    exchange.attempt = attempt;
    // Without a Host from the client, undici sends the upstream's, as `http.request` did.
    endpoint.pool.dispatch(
      {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: exchange.headers,
        body: exchange.body === undefined ? req : exchange.body,
      },
      attempt,
    );
  }

  /** Ends an attempt's claim on its endpoint, once. */
  /** @internal */
  settle(attempt: UpstreamAttempt): void {
    if (attempt.settled) return;
    attempt.settled = true;
    attempt.backend.stats.inFlight--;
    this.endpoints.released(attempt.endpoint);
  }

  /** @internal */
  mayRetry(exchange: Exchange, attempt: UpstreamAttempt, error: NodeJS.ErrnoException): boolean {
    if (exchange.attempts >= this.maxAttempts || exchange.bodyStarted) return false;
    const code = error.code ?? "";
    if (RETRY_ON_CONNECT.has(code)) return true;
    if (!RETRY_ON_RESET.has(code) || exchange.body === undefined) return false;
    // A reset before any response byte on a reused keep-alive socket means the upstream closed it idle.
    return attempt.reused || IDEMPOTENT.has(exchange.req.method ?? "");
  }

  private hold(exchange: Exchange): void {
    if (this.closing) {
      this.respondError(exchange, 503, "the router is shutting down\n");
      return;
    }
    if (this.held.size >= this.options.holdMaxRequests) {
      const limit = this.options.holdMaxRequests;
      this.respondError(
        exchange,
        503,
        `no endpoint is available and ${limit} requests already wait for one\n`,
      );
      return;
    }
    this.held.add(exchange);
    exchange.holdTimer = setTimeout(
      () => this.failHeld(exchange, `no endpoint became available within ${this.options.holdTimeoutMs}ms`),
      this.options.holdTimeoutMs,
    );
  }

  private failHeld(exchange: Exchange, reason: string): void {
    clearTimeout(exchange.holdTimer);
    this.held.delete(exchange);
    this.respondError(exchange, 503, reason + "\n");
  }

  /** @internal */
  respondError(exchange: Exchange, status: number, message: string): void {
    const { res } = exchange;
    if (exchange.finished || res.headersSent) return void res.destroy();
    if (this.closing) res.setHeader("connection", "close");
    res.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(message),
    });
    res.end(message);
  }

  /** Runs once per client request, when its response is complete or its connection is gone. */
  /** @internal */
  finish(exchange: Exchange): void {
    if (exchange.finished) return;
    exchange.finished = true;
    this.active--;
    if (exchange.holdTimer !== undefined) {
      clearTimeout(exchange.holdTimer);
      this.held.delete(exchange);
    }
    const { res } = exchange;
    // A client that went away mid-request: stop the upstream request too (499 is not an error).
    const status = res.writableFinished ? res.statusCode : res.headersSent ? 502 : 499;
    if (!res.writableFinished) exchange.attempt?.cancel();
    exchange.backend?.stats.record(status, performance.now() - exchange.startedAt);
  }
}

// The response's close listener is shared by every request: it finds its state on the response (`this`),
// so a request allocates no closure for it.

function onResponseClose(this: TaggedResponse): void {
  const exchange = this[EXCHANGE]!;
  exchange.proxy.finish(exchange);
}
