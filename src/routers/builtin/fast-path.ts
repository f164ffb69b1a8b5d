// The builtin router's hot path: client connections read as raw bytes, request heads parsed here
// (http1.ts), each request written to a pooled keep-alive upstream socket (raw-upstream.ts) and the response
// streamed back with only its head and framing parsed. It takes the plain requests (HTTP/1.1, no body or a
// Content-Length body small enough to replay); a connection with anything else (HTTP/1.0, a chunked request
// body, Upgrade, Expect, a big body), or a request that would have to wait for an endpoint, is handed to the
// node:http server, which handles the rest of that connection.
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { type CompiledBackend, type CompiledTable, chooseEndpoint, type EndpointState } from "./endpoints.js";
import { IDEMPOTENT, RETRY_ON_CONNECT, RETRY_ON_RESET } from "./exchange.js";
import { endToEndHeaders, hostHeader, upstreamRequestHeaders } from "./headers.js";
import {
  ChunkedScanner,
  headEnd,
  MAX_HEAD_BYTES,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
  type ResponseHead,
} from "./http1.js";
import type { UpstreamConnection, UpstreamUser } from "./raw-upstream.js";

/** What the fast path asks of the proxy that owns it (RouterProxy implements it). */
export interface FastPathHost {
  readonly compiledTable: CompiledTable;
  readonly isClosing: boolean;
  readonly maxAttempts: number;
  readonly replayableBodyLimit: number;
  requestStarted(): void;
  requestEnded(): void;
  /** An attempt's claim on its endpoint ends. */
  released(endpoint: EndpointState): void;
  /** Every second: idle upstream sockets past their time are closed. */
  sweep(now: number): void;
}

/** A client connection idle this long is closed (Node's `keepAliveTimeout`); one sending a head, later. */
const KEEP_ALIVE_TICKS = 5;
const PARTIAL_HEAD_TICKS = 60;
const TICK_MS = 1000;
/** Pipelined bytes buffered while a request is in flight, beyond which the client is paused. */
const PIPELINE_LIMIT = 256 * 1024;

// Response framings.
const NO_BODY = 0;
const LENGTH = 1;
const CHUNKED = 2;
const UNTIL_CLOSE = 3;

export class FastPath {
  private readonly connections = new Set<ClientConnection>();
  private timer: NodeJS.Timeout | undefined = undefined;
  /** @internal The Date header for responses that have none, refreshed every tick. */
  date = new Date().toUTCString();

  constructor(
    /** @internal */ readonly host: FastPathHost,
    /** @internal Gives a socket, with its unread bytes put back, to node:http. */
    readonly handOff: (socket: Socket) => void,
  ) {}

  accept(socket: Socket): void {
    this.connections.add(new ClientConnection(socket, this));
    this.timer ??= setInterval(() => this.tick(), TICK_MS).unref();
  }

  /** @internal */
  forget(connection: ClientConnection): void {
    this.connections.delete(connection);
  }

  /** Closes the connections that have no request in flight (the others close after their response). */
  closeIdle(): void {
    for (const connection of [...this.connections]) if (!connection.busy) connection.socket.destroy();
  }

  destroyAll(): void {
    for (const connection of [...this.connections]) connection.socket.destroy();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.date = new Date().toUTCString();
    for (const connection of [...this.connections]) connection.tick();
    this.host.sweep(performance.now());
  }
}

/** One client connection on the fast path, and the state of its current request (one at a time). */
class ClientConnection implements UpstreamUser {
  busy = false;
  private buffer: Buffer | null = null;
  private closeAfter = false;
  private paused = false;
  private idleTicks = 0;
  private dead = false;

  // The current request.
  private head: RequestHead | undefined = undefined;
  private requestEnd = 0;
  private body: Buffer | null = null;
  /** The upstream request head up to (not including) the Host line it may need and the final empty line. */
  private upstreamHead = "";
  private hasHost = false;
  private startedAt = 0;
  private backend: CompiledBackend | undefined = undefined;
  private endpoint: EndpointState | undefined = undefined;
  private settled = true;
  private attempts = 0;
  private tried: EndpointState[] | undefined = undefined;
  private lastFailure: string | undefined = undefined;
  private upstream: UpstreamConnection | undefined = undefined;
  private reused = false;

  // Its response.
  private responseBuffer: Buffer | null = null;
  private headSent = false;
  private status = 0;
  private framing = NO_BODY;
  private remaining = 0;
  private upstreamCloses = false;
  private keepAliveMs = -1;
  private scanner: ChunkedScanner | undefined = undefined;
  private readonly onDrain = () => this.upstream?.socket.resume();

  private readonly onData = (chunk: Buffer) => {
    this.idleTicks = 0;
    this.buffer = this.buffer === null ? chunk : Buffer.concat([this.buffer, chunk]);
    if (!this.busy) this.next();
    else if (this.buffer.length > PIPELINE_LIMIT && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  };
  private readonly onEnd = () => {
    // The client sent all it will (the server allows half-open sockets): answer what is in flight, then close.
    if (this.busy) this.closeAfter = true;
    else this.socket.destroy();
  };
  private readonly onClose = () => this.clientGone();
  private readonly onError = () => {};

  constructor(
    readonly socket: Socket,
    private readonly path: FastPath,
  ) {
    socket.setNoDelay(true);
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
    socket.on("error", this.onError);
  }

  tick(): void {
    if (this.busy) return;
    this.idleTicks++;
    if (this.idleTicks >= (this.buffer === null ? KEEP_ALIVE_TICKS : PARTIAL_HEAD_TICKS))
      this.socket.destroy();
  }

  /** Starts the next buffered request, if its head (and body) are complete. */
  private next(): void {
    let buffer = this.buffer;
    if (buffer === null || this.dead) return;
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    let start = 0;
    while (start < buffer.length && (buffer[start] === 0x0d || buffer[start] === 0x0a)) start++;
    if (start > 0) {
      buffer = start === buffer.length ? null : buffer.subarray(start);
      this.buffer = buffer;
      if (buffer === null) return;
    }
    const end = headEnd(buffer, 0);
    if (end < 0) {
      if (buffer.length > MAX_HEAD_BYTES) this.reject(431);
      return;
    }
    if (end > MAX_HEAD_BYTES) return void this.reject(431);
    const head = parseRequestHead(buffer.toString("latin1", 0, end - 4));
    if (typeof head === "number") return void this.reject(head);
    const host = this.path.host;
    if (head.special || head.contentLength > host.replayableBodyLimit || !host.compiledTable.hasEndpoints)
      return void this.handOff();
    const requestEnd = end + head.contentLength;
    if (buffer.length < requestEnd) return; // the rest of the body is still coming
    this.head = head;
    this.requestEnd = requestEnd;
    this.body = head.contentLength > 0 ? buffer.subarray(end, requestEnd) : null;
    if (head.close) this.closeAfter = true;
    this.busy = true;
    host.requestStarted();
    this.startedAt = performance.now();
    this.backend = undefined;
    this.endpoint = undefined;
    this.attempts = 0;
    this.tried = undefined;
    this.lastFailure = undefined;
    this.headSent = false;
    this.responseBuffer = null;
    const forwarded = upstreamRequestHeaders(head.raw, this.socket.remoteAddress);
    let text = head.method + " " + head.target + " HTTP/1.1\r\n";
    const headers = forwarded.headers;
    for (let i = 0; i < headers.length; i += 2) text += headers[i] + ": " + headers[i + 1] + "\r\n";
    this.upstreamHead = text;
    this.hasHost = forwarded.hasHost;
    this.dispatch();
  }

  private dispatch(): void {
    const compiled = this.path.host.compiledTable;
    const choice = chooseEndpoint(compiled, this.backend, this.tried);
    if (choice === undefined) {
      if (compiled.hasEndpoints)
        return void this.respondError(502, `no endpoint could take the request: ${this.lastFailure}\n`);
      // The table has no endpoint any more: node:http holds the request until one comes.
      this.busy = false;
      this.path.host.requestEnded();
      return void this.handOff();
    }
    const { backend, endpoint } = choice;
    this.attempts++;
    this.backend = backend;
    this.endpoint = endpoint;
    this.settled = false;
    endpoint.inFlight++;
    backend.stats.inFlight++;
    endpoint.raw.acquire(this);
  }

  onUpstream(connection: UpstreamConnection, reused: boolean): void {
    this.upstream = connection;
    this.reused = reused;
    const endpoint = this.endpoint!;
    const head =
      this.upstreamHead +
      (this.hasHost ? "\r\n" : `Host: ${hostHeader(endpoint.host, endpoint.port)}\r\n\r\n`);
    const socket = connection.socket;
    if (this.body === null) {
      socket.write(head, "latin1");
    } else {
      socket.cork();
      socket.write(head, "latin1");
      socket.write(this.body);
      socket.uncork();
    }
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.headSent) return void this.forward(chunk, 0, undefined);
    let buffer = this.responseBuffer === null ? chunk : Buffer.concat([this.responseBuffer, chunk]);
    for (;;) {
      const end = headEnd(buffer, 0);
      if (end < 0) {
        if (buffer.length > MAX_HEAD_BYTES) return void this.upstreamBroken("response head too large");
        // `chunk` is a view of the pool's read buffer: what is kept is copied.
        this.responseBuffer = buffer === chunk ? Buffer.from(chunk) : buffer;
        return;
      }
      const head = parseResponseHead(buffer.toString("latin1", 0, end - 4));
      if (head === undefined) return void this.upstreamBroken("malformed response head");
      if (head.status >= 200) {
        this.responseBuffer = null;
        return void this.respond(head, buffer, end);
      }
      // 1xx informational responses are dropped, as node:http dropped them.
      if (end === buffer.length) {
        this.responseBuffer = null;
        return;
      }
      buffer = buffer.subarray(end);
    }
  }

  private respond(head: ResponseHead, buffer: Buffer, bodyStart: number): void {
    const status = head.status;
    this.status = status;
    this.upstreamCloses = head.close;
    this.keepAliveMs = head.keepAliveMs;
    let framingHeader = "";
    if (this.head!.method === "HEAD" || status === 204 || status === 304) {
      this.framing = NO_BODY;
    } else if (head.chunked) {
      this.framing = CHUNKED;
      this.scanner ??= new ChunkedScanner();
      this.scanner.reset();
      framingHeader = "Transfer-Encoding: chunked\r\n";
    } else if (head.contentLength >= 0) {
      this.framing = LENGTH;
      this.remaining = head.contentLength;
    } else {
      this.framing = UNTIL_CLOSE;
      this.upstreamCloses = true;
      this.closeAfter = true;
    }
    if (this.path.host.isClosing) this.closeAfter = true;
    let text = "HTTP/1.1 " + status + " " + head.reason + "\r\n";
    const headers = endToEndHeaders(head.raw);
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length === 4 && name.toLowerCase() === "date") hasDate = true;
      text += name + ": " + headers[i + 1] + "\r\n";
    }
    if (!hasDate) text += "Date: " + this.path.date + "\r\n";
    text +=
      framingHeader +
      (this.closeAfter
        ? "Connection: close\r\n\r\n"
        : "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n");
    this.headSent = true;
    this.forward(buffer, bodyStart, text);
  }

  /** Sends `buffer[from..]` (the part that is this response's body), after `prefix` if given, to the client. */
  private forward(buffer: Buffer, from: number, prefix: string | undefined): void {
    let end: number;
    switch (this.framing) {
      case NO_BODY:
        end = from;
        break;
      case LENGTH: {
        const available = buffer.length - from;
        if (available >= this.remaining) {
          end = from + this.remaining;
          this.remaining = 0;
        } else {
          this.remaining -= available;
          end = -1;
        }
        break;
      }
      case CHUNKED:
        end = this.scanner!.scan(buffer, from);
        if (end === -2) return void this.upstreamBroken("malformed chunked body");
        break;
      default:
        end = -1;
    }
    const stop = end < 0 ? buffer.length : end;
    let out: Buffer | undefined;
    if (prefix !== undefined) {
      out = Buffer.allocUnsafe(prefix.length + stop - from);
      out.write(prefix, 0, "latin1");
      buffer.copy(out, prefix.length, from, stop);
    } else if (stop > from) {
      out = Buffer.from(buffer.subarray(from, stop)); // a copy: `buffer` is the pool's read buffer
    }
    const flushed = out === undefined || this.socket.write(out);
    if (end >= 0) return void this.complete(end < buffer.length);
    if (!flushed) {
      this.upstream!.socket.pause();
      this.socket.once("drain", this.onDrain);
    }
  }

  /** The response is complete; `extra`: the upstream sent bytes past it, so its connection is out of step. */
  private complete(extra: boolean): void {
    const upstream = this.upstream!;
    this.upstream = undefined;
    this.socket.off("drain", this.onDrain);
    upstream.socket.resume();
    this.settle();
    upstream.release(!this.upstreamCloses && !extra, this.keepAliveMs);
    this.finish(this.status);
  }

  onUpstreamClose(code: string | undefined, connected: boolean): void {
    this.upstream = undefined;
    this.settle();
    if (!this.busy) return;
    if (this.headSent) {
      if (this.framing === UNTIL_CLOSE && code === undefined) return void this.finish(this.status);
      // Cut in the middle of the body: the client sees its connection close too.
      this.finish(502);
      this.socket.destroy();
      return;
    }
    const failure = code ?? "ECONNRESET";
    const endpoint = this.endpoint!;
    if (this.mayRetry(failure, connected)) {
      this.lastFailure = `upstream ${endpoint.id} failed: ${failure}`;
      this.tried ??= [];
      this.tried.push(endpoint);
      this.dispatch();
    } else {
      this.respondError(502, `upstream ${endpoint.id} failed: ${failure}\n`);
    }
  }

  private mayRetry(code: string, connected: boolean): boolean {
    if (this.attempts >= this.path.host.maxAttempts) return false;
    if (!connected && RETRY_ON_CONNECT.has(code)) return true;
    if (!RETRY_ON_RESET.has(code)) return false;
    // A reset before any response byte on a reused keep-alive socket means the upstream closed it idle.
    return this.reused || IDEMPOTENT.has(this.head!.method);
  }

  /** The upstream answered something that is not HTTP: its connection is dropped, the client gets 502. */
  private upstreamBroken(why: string): void {
    const upstream = this.upstream;
    this.upstream = undefined;
    upstream?.abandon();
    this.settle();
    if (this.headSent) {
      this.finish(502);
      this.socket.destroy();
    } else {
      this.respondError(502, `upstream ${this.endpoint!.id} failed: ${why}\n`);
    }
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.backend!.stats.inFlight--;
    this.path.host.released(this.endpoint!);
  }

  private respondError(status: number, message: string): void {
    if (this.path.host.isClosing) this.closeAfter = true;
    const length = Buffer.byteLength(message);
    const connection = this.closeAfter ? "close" : "keep-alive\r\nKeep-Alive: timeout=5";
    const text =
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${length}\r\nDate: ${this.path.date}\r\nConnection: ${connection}\r\n\r\n`;
    this.socket.write(this.head?.method === "HEAD" ? text : text + message, "utf8");
    this.headSent = true;
    this.finish(status);
  }

  /** The current request is done (answered, or its response cut): counts it and goes on to the next. */
  private finish(status: number): void {
    this.backend?.stats.record(status, performance.now() - this.startedAt);
    this.busy = false;
    this.head = undefined;
    this.body = null;
    this.path.host.requestEnded();
    const buffer = this.buffer;
    this.buffer =
      buffer === null || this.requestEnd >= buffer.length ? null : buffer.subarray(this.requestEnd);
    this.requestEnd = 0;
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.closeAfter || this.path.host.isClosing) {
      this.dead = true;
      this.socket.end();
      return;
    }
    this.next();
  }

  /** The client's connection closed: a request in flight is abandoned (499, or 502 once its response began). */
  private clientGone(): void {
    this.path.forget(this);
    this.dead = true;
    if (!this.busy) return;
    const upstream = this.upstream;
    this.upstream = undefined;
    if (upstream !== undefined) upstream.abandon();
    else if (!this.settled) this.endpoint!.raw.cancel(this);
    this.settle();
    this.buffer = null;
    this.finish(this.headSent ? 502 : 499);
  }

  /** Answers a malformed request and closes the connection. */
  private reject(status: number): void {
    this.dead = true;
    this.buffer = null;
    this.socket.off("data", this.onData);
    this.socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
    this.socket.once("finish", () => this.socket.destroy());
  }

  /** Gives the connection, with its unread bytes, to node:http. */
  private handOff(): void {
    const socket = this.socket;
    socket.off("data", this.onData);
    socket.off("end", this.onEnd);
    socket.off("close", this.onClose);
    socket.off("error", this.onError);
    this.path.forget(this);
    this.dead = true;
    const buffer = this.buffer;
    this.buffer = null;
    if (buffer !== null) socket.unshift(buffer);
    if (this.paused) socket.resume();
    this.path.handOff(socket);
  }
}
