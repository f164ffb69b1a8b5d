import {
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteTable, VersionStats } from "../types.js";
import {
  type CompiledBackend,
  type CompiledTable,
  EMPTY_COMPILED_TABLE,
  EndpointRegistry,
  type EndpointState,
  pickBackend,
  pickEndpoint,
} from "./endpoints.js";
import {
  ATTEMPT,
  type Attempt,
  EXCHANGE,
  type Exchange,
  IDEMPOTENT,
  RETRY_ON_CONNECT,
  RETRY_ON_RESET,
  type TaggedIncoming,
  type TaggedRequest,
  type TaggedResponse,
} from "./exchange.js";
import { endToEndHeaders, hostHeader, upstreamRequestHeaders } from "./headers.js";
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
}

/** Tandem's weighted reverse proxy: the data plane of the builtin router. */
export class RouterProxy {
  readonly server: Server;
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
  private readonly maxAttempts: number;
  private readonly replayableBodyLimit: number;

  constructor(private readonly options: ProxyOptions) {
    this.endpoints = new EndpointRegistry(options.maxSocketsPerEndpoint ?? 256);
    this.maxAttempts = options.maxAttempts ?? 3;
    this.replayableBodyLimit = options.replayableBodyLimit ?? 64 * 1024;
    this.server = createServer((req, res) => this.handle(req, res));
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
    return result;
  }

  inFlight(endpointId: string): number {
    return this.endpoints.inFlight(endpointId);
  }

  /** Client requests being handled (held ones included). */
  activeRequests(): number {
    return this.active;
  }

  /**
   * Stops accepting connections, answers held requests with 503, lets in-flight requests finish
   * (at most `graceMs`), then closes every connection and upstream pool.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    for (const exchange of [...this.held]) this.failHeld(exchange, "the router is shutting down");
    const deadline = Date.now() + graceMs;
    while (this.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.server.closeAllConnections();
    await closed;
    this.endpoints.destroyAll();
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
      hasHost: forwarded.hasHost,
      body: undefined,
      bodyStarted: false,
      backend: undefined,
      endpoint: undefined,
      upstream: undefined,
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
    let backend = exchange.backend;
    if (backend === undefined) {
      backend = pickBackend(compiled);
    } else if (!compiled.backends.includes(backend)) {
      // A retry after the table changed: stay with the same version, in the current table.
      const version = backend.version;
      backend = compiled.backends.find((b) => b.version === version);
    }
    exchange.backend = backend;
    let endpoint = backend && pickEndpoint(backend, exchange.tried);
    if (endpoint === undefined) {
      for (const candidate of compiled.fallbackOrder) {
        if (candidate === backend) continue;
        endpoint = pickEndpoint(candidate, exchange.tried);
        if (endpoint !== undefined) {
          backend = candidate;
          break;
        }
      }
    }
    if (backend === undefined || endpoint === undefined) {
      if (compiled.hasEndpoints)
        this.respondError(exchange, 502, `no endpoint could take the request: ${exchange.lastFailure}\n`);
      else this.hold(exchange);
      return;
    }
    this.send(exchange, backend, endpoint);
  }

  private send(exchange: Exchange, backend: CompiledBackend, endpoint: EndpointState): void {
    const { req } = exchange;
    exchange.attempts++;
    exchange.backend = backend;
    exchange.endpoint = endpoint;
    endpoint.inFlight++;
    backend.stats.inFlight++;
    const headers = exchange.hasHost
      ? exchange.headers
      : [...exchange.headers, "Host", hostHeader(endpoint.host, endpoint.port)];
    const upstream = httpRequest({
      host: endpoint.host,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers,
      agent: endpoint.agent,
    }) as TaggedRequest;
    upstream[ATTEMPT] = { exchange, backend, endpoint, settled: false, responded: false };
    exchange.upstream = upstream;
    upstream.on("close", onUpstreamClose);
    upstream.on("response", onUpstreamResponse);
    upstream.on("error", onUpstreamError);

    if (exchange.body === null) upstream.end();
    else if (exchange.body !== undefined) upstream.end(exchange.body);
    else this.streamBodyOnceConnected(exchange, upstream);
  }

  /** Ends an attempt's claim on its endpoint, once. */
  /** @internal */
  settle(attempt: Attempt): void {
    if (attempt.settled) return;
    attempt.settled = true;
    attempt.backend.stats.inFlight--;
    this.endpoints.released(attempt.endpoint);
  }

  /** Pipes the body only after the socket connects, so a refused connection can still be retried. */
  private streamBodyOnceConnected(exchange: Exchange, upstream: ClientRequest): void {
    upstream.once("socket", (socket) => {
      const start = () => {
        exchange.bodyStarted = true;
        exchange.req.pipe(upstream);
      };
      if (socket.connecting) socket.once("connect", start);
      else start();
    });
  }

  /** @internal */
  mayRetry(exchange: Exchange, upstream: ClientRequest, error: NodeJS.ErrnoException): boolean {
    if (exchange.attempts >= this.maxAttempts || exchange.bodyStarted) return false;
    const code = error.code ?? "";
    if (RETRY_ON_CONNECT.has(code)) return true;
    if (!RETRY_ON_RESET.has(code) || exchange.body === undefined) return false;
    // A reset before any response byte on a reused keep-alive socket means the upstream closed it idle.
    return upstream.reusedSocket || IDEMPOTENT.has(exchange.req.method ?? "");
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
    if (!res.writableFinished) exchange.upstream?.destroy();
    exchange.backend?.stats.record(status, performance.now() - exchange.startedAt);
  }
}

// The hot path's listeners are shared by every request: each finds its state on the emitter it listens to
// (`this`), so a request allocates no closures. Each of these events fires at most once per emitter.

function onResponseClose(this: TaggedResponse): void {
  const exchange = this[EXCHANGE]!;
  exchange.proxy.finish(exchange);
}

function onUpstreamClose(this: TaggedRequest): void {
  const attempt = this[ATTEMPT]!;
  attempt.exchange.proxy.settle(attempt);
}

function onUpstreamResponse(this: TaggedRequest, upstreamRes: IncomingMessage): void {
  const attempt = this[ATTEMPT]!;
  attempt.responded = true;
  const { exchange } = attempt;
  if (exchange.finished) return void upstreamRes.destroy();
  const headers = endToEndHeaders(upstreamRes.rawHeaders);
  if (exchange.proxy.isClosing) headers.push("connection", "close");
  exchange.res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers);
  (upstreamRes as TaggedIncoming)[EXCHANGE] = exchange;
  upstreamRes.on("data", onUpstreamData);
  upstreamRes.on("end", onUpstreamEnd);
  upstreamRes.on("close", onUpstreamResponseClose);
}

/** Forwards the upstream's body (what `pipe` does, with fewer listeners); pauses while the client is slow. */
function onUpstreamData(this: IncomingMessage, chunk: Buffer): void {
  const exchange = (this as TaggedIncoming)[EXCHANGE]!;
  if (exchange.finished) return;
  if (!exchange.res.write(chunk)) {
    this.pause();
    exchange.res.once("drain", () => this.resume());
  }
}

function onUpstreamEnd(this: IncomingMessage): void {
  const exchange = (this as TaggedIncoming)[EXCHANGE]!;
  if (!exchange.finished) exchange.res.end();
}

function onUpstreamResponseClose(this: IncomingMessage): void {
  if (!this.complete) (this as TaggedIncoming)[EXCHANGE]!.res.destroy();
}

function onUpstreamError(this: TaggedRequest, error: NodeJS.ErrnoException): void {
  const attempt = this[ATTEMPT]!;
  const { exchange, endpoint } = attempt;
  const proxy = exchange.proxy;
  proxy.settle(attempt);
  if (exchange.finished || exchange.upstream !== this) return;
  if (attempt.responded) {
    exchange.res.destroy();
  } else if (proxy.mayRetry(exchange, this, error)) {
    exchange.lastFailure = `upstream ${endpoint.id} failed: ${error.code ?? error.message}`;
    exchange.tried ??= [];
    exchange.tried.push(endpoint);
    proxy.dispatch(exchange);
  } else {
    proxy.respondError(exchange, 502, `upstream ${endpoint.id} failed: ${error.code ?? error.message}\n`);
  }
}
