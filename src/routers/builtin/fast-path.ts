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
  RequestHead,
  ResponseHead,
} from "./http1.js";
import type { UpstreamConnection, UpstreamUser } from "./raw-upstream.js";
import { clientResponse, upstreamRequest } from "./rewrite.js";

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

/** The router's own lines of a response head (the last ones end it). */
const NOTHING = Buffer.alloc(0);
const CHUNKED_LINE = Buffer.from("Transfer-Encoding: chunked\r\n", "latin1");
const KEEP_ALIVE_LINES = Buffer.from("Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n", "latin1");
const CLOSE_LINES = Buffer.from("Connection: close\r\n\r\n", "latin1");

/** Every head is parsed into one of these and used up before the next is parsed. */
const REQUEST = new RequestHead();
const RESPONSE = new ResponseHead();

export class FastPath {
  private readonly connections = new Set<ClientConnection>();
  private timer: NodeJS.Timeout | undefined = undefined;
  /** @internal The Date header for responses that have none, refreshed every tick. */
  date = new Date().toUTCString();
  /** @internal The same as a head line. */
  dateLine = Buffer.from(`Date: ${this.date}\r\n`, "latin1");

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
    this.dateLine = Buffer.from(`Date: ${this.date}\r\n`, "latin1");
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

  /** The client's address, for X-Forwarded-For. */
  private clientAddress: string | undefined = undefined;

  // The current request.
  private method = "";
  private requestEnd = 0;
  /** The request as it goes upstream, head and body; null for a request without Host (see onUpstream). */
  private upstreamRequest: Buffer | null = null;
  /** Without Host: the upstream head up to the Host line it needs (which names the endpoint), and the body. */
  private hostlessHead = "";
  private body: Buffer | null = null;
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
  /** The upstream socket is paused until the client's socket drains. */
  private upstreamPaused = false;
  private readonly onDrain = () => {
    this.upstreamPaused = false;
    this.upstream?.socket.resume();
  };

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
    const head = REQUEST;
    const malformed = parseRequestHead(buffer, end - 4, head);
    if (malformed !== 0) return void this.reject(malformed);
    const host = this.path.host;
    if (head.special || head.contentLength > host.replayableBodyLimit || !host.compiledTable.hasEndpoints)
      return void this.handOff();
    const requestEnd = end + head.contentLength;
    if (buffer.length < requestEnd) return; // the rest of the body is still coming
    this.method = head.method;
    this.requestEnd = requestEnd;
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
    this.clientAddress ??= this.socket.remoteAddress;
    this.upstreamRequest =
      upstreamRequest(buffer, head, this.clientAddress ?? "unknown", end, requestEnd) ??
      this.rewriteWithHeaders(buffer, head, end, requestEnd);
    this.dispatch();
  }

  /** The upstream request through headers.ts, for the heads upstreamRequest leaves to it. */
  private rewriteWithHeaders(
    buffer: Buffer,
    head: RequestHead,
    end: number,
    requestEnd: number,
  ): Buffer | null {
    const forwarded = upstreamRequestHeaders(head.fields.raw(buffer), this.socket.remoteAddress);
    let text = `${buffer.toString("latin1", 0, head.targetEnd)} HTTP/1.1\r\n`;
    const headers = forwarded.headers;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    const body = buffer.subarray(end, requestEnd);
    if (forwarded.hasHost) return Buffer.concat([Buffer.from(`${text}\r\n`, "latin1"), body]);
    this.hostlessHead = text;
    this.body = Buffer.from(body);
    return null;
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
    const request = this.upstreamRequest;
    if (request !== null) return void connection.socket.write(request);
    const endpoint = this.endpoint!;
    const head = `${this.hostlessHead}Host: ${hostHeader(endpoint.host, endpoint.port)}\r\n\r\n`;
    connection.socket.write(Buffer.concat([Buffer.from(head, "latin1"), this.body!]));
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.headSent) return void this.forward(chunk, 0);
    const buffer = this.responseBuffer === null ? chunk : Buffer.concat([this.responseBuffer, chunk]);
    let start = 0;
    for (;;) {
      const end = headEnd(buffer, start);
      if (end < 0) {
        if (buffer.length - start > MAX_HEAD_BYTES)
          return void this.upstreamBroken("response head too large");
        // `chunk` is a view of the pool's read buffer: what is kept is copied.
        this.responseBuffer = buffer === chunk ? Buffer.from(chunk.subarray(start)) : buffer.subarray(start);
        return;
      }
      const head = RESPONSE;
      if (!parseResponseHead(buffer, start, end - 4, head))
        return void this.upstreamBroken("malformed response head");
      if (head.status >= 200) {
        this.responseBuffer = null;
        return void this.respond(head, buffer, end);
      }
      // 1xx informational responses are dropped, as node:http dropped them.
      if (end === buffer.length) {
        this.responseBuffer = null;
        return;
      }
      start = end;
    }
  }

  private respond(head: ResponseHead, buffer: Buffer, bodyStart: number): void {
    const status = head.status;
    this.status = status;
    this.upstreamCloses = head.close;
    this.keepAliveMs = head.keepAliveMs;
    let framingLine = NOTHING;
    if (this.method === "HEAD" || status === 204 || status === 304) {
      this.framing = NO_BODY;
    } else if (head.chunked) {
      this.framing = CHUNKED;
      this.scanner ??= new ChunkedScanner();
      this.scanner.reset();
      framingLine = CHUNKED_LINE;
    } else if (head.contentLength >= 0) {
      this.framing = LENGTH;
      this.remaining = head.contentLength;
    } else {
      this.framing = UNTIL_CLOSE;
      this.upstreamCloses = true;
      this.closeAfter = true;
    }
    if (this.path.host.isClosing) this.closeAfter = true;
    const connectionLines = this.closeAfter ? CLOSE_LINES : KEEP_ALIVE_LINES;
    this.headSent = true;
    const end = this.bodyEnd(buffer, bodyStart);
    if (end === -2) return void this.upstreamBroken("malformed chunked body");
    const stop = end < 0 ? buffer.length : end;
    const out =
      clientResponse(buffer, head, this.path.dateLine, framingLine, connectionLines, bodyStart, stop) ??
      this.responseWithHeaders(buffer, head, framingLine, connectionLines, bodyStart, stop);
    this.send(out, end, buffer.length);
  }

  /** The response head through headers.ts (for a Connection field naming others), and its first body bytes. */
  private responseWithHeaders(
    buffer: Buffer,
    head: ResponseHead,
    framingLine: Buffer,
    connectionLines: Buffer,
    bodyStart: number,
    stop: number,
  ): Buffer {
    let text = `HTTP/1.1 ${head.status} ${buffer.toString("latin1", head.reasonStart, head.reasonEnd)}\r\n`;
    const headers = endToEndHeaders(head.fields.raw(buffer));
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length === 4 && name.toLowerCase() === "date") hasDate = true;
      text += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!hasDate) text += `Date: ${this.path.date}\r\n`;
    const headBytes = Buffer.from(text, "latin1");
    return Buffer.concat([headBytes, framingLine, connectionLines, buffer.subarray(bodyStart, stop)]);
  }

  /**
   * Where this response's body ends in `buffer` (from `from` on): the index just past it, -1 when it goes on
   * past this buffer, -2 when its chunked framing is malformed.
   */
  private bodyEnd(buffer: Buffer, from: number): number {
    switch (this.framing) {
      case NO_BODY:
        return from;
      case LENGTH: {
        const available = buffer.length - from;
        if (available >= this.remaining) {
          const end = from + this.remaining;
          this.remaining = 0;
          return end;
        }
        this.remaining -= available;
        return -1;
      }
      case CHUNKED:
        return this.scanner!.scan(buffer, from);
      default:
        return -1;
    }
  }

  /** Sends the body bytes `buffer[from..]` that belong to this response to the client. */
  private forward(buffer: Buffer, from: number): void {
    const end = this.bodyEnd(buffer, from);
    if (end === -2) return void this.upstreamBroken("malformed chunked body");
    const stop = end < 0 ? buffer.length : end;
    // A copy: `buffer` is the pool's read buffer.
    this.send(stop > from ? Buffer.from(buffer.subarray(from, stop)) : undefined, end, buffer.length);
  }

  /** Writes `out` to the client; `end` is where the response ended in the upstream's bytes (-1: not yet). */
  private send(out: Buffer | undefined, end: number, length: number): void {
    const flushed = out === undefined || this.socket.write(out);
    if (end >= 0) return void this.complete(end < length);
    if (!flushed && !this.upstreamPaused) {
      this.upstreamPaused = true;
      this.upstream!.socket.pause();
      this.socket.once("drain", this.onDrain);
    }
  }

  /** The response is complete; `extra`: the upstream sent bytes past it, so its connection is out of step. */
  private complete(extra: boolean): void {
    const upstream = this.upstream!;
    this.upstream = undefined;
    if (this.upstreamPaused) {
      this.upstreamPaused = false;
      this.socket.off("drain", this.onDrain);
      upstream.socket.resume();
    }
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
    return this.reused || IDEMPOTENT.has(this.method);
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
    this.socket.write(this.method === "HEAD" ? text : text + message, "utf8");
    this.headSent = true;
    this.finish(status);
  }

  /** The current request is done (answered, or its response cut): counts it and goes on to the next. */
  private finish(status: number): void {
    this.backend?.stats.record(status, performance.now() - this.startedAt);
    this.busy = false;
    this.method = "";
    this.upstreamRequest = null;
    this.body = null;
    if (this.upstreamPaused) {
      this.upstreamPaused = false;
      this.socket.off("drain", this.onDrain);
    }
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
