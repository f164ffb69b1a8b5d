// The fast path's keep-alive connections to one endpoint: plain TCP sockets carrying one HTTP/1.1 request at
// a time, handed to whoever asks (LIFO, so the warmest socket goes first), bounded in number, with a queue
// of waiting users when they are all busy.
import { connect, type Socket } from "node:net";

/**
 * Every upstream socket reads into this one buffer (net's `onread`, no stream machinery per read): a user
 * gets a view of it that is valid only during `onUpstreamData` and copies what it keeps or writes.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** Idle sockets are closed after this long, or 1 s before the upstream's announced keep-alive timeout. */
export const IDLE_MS = 4000;
const KEEP_ALIVE_HINT_MARGIN_MS = 1000;
/** The code a request gets when its endpoint's pool closed (the router is shutting down). */
export const POOL_DESTROYED = "ERR_POOL_DESTROYED";

/** Who uses a connection: gets the socket, then its bytes and its end. */
export interface UpstreamUser {
  /** The connection to write one request on; `reused` when it served a response before. */
  onUpstream(connection: UpstreamConnection, reused: boolean): void;
  /** `chunk` is a view of a shared read buffer, valid only during this call. */
  onUpstreamData(chunk: Buffer): void;
  /**
   * The connection is gone: `code` is the socket error's (ECONNREFUSED...) or undefined after a clean end;
   * `connected` tells whether it ever connected.
   */
  onUpstreamClose(code: string | undefined, connected: boolean): void;
}

export class UpstreamConnection {
  user: UpstreamUser | undefined = undefined;
  /** Responses completed on this connection. */
  served = 0;
  connected = false;
  idleSince = 0;
  keepMs = IDLE_MS;
  private code: string | undefined = undefined;

  readonly socket: Socket;

  constructor(
    private readonly pool: RawPool,
    host: string,
    port: number,
  ) {
    const socket = connect({
      host,
      port,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          const user = this.user;
          if (user !== undefined) user.onUpstreamData((buffer as Buffer).subarray(0, bytes));
          else socket.destroy(); // bytes nobody asked for: the connection is out of step
          return true;
        },
      },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("connect", () => {
      this.connected = true;
      socket.setKeepAlive(true, 1000);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.code ??= error.code ?? "ECONNRESET";
    });
    socket.on("close", () => {
      pool.closed(this);
      const user = this.user;
      this.user = undefined;
      user?.onUpstreamClose(this.code, this.connected);
    });
  }

  /** The response is complete: the connection goes back to the pool, or is closed when `reusable` is false. */
  release(reusable: boolean, keepAliveHintMs: number): void {
    this.user = undefined;
    this.served++;
    if (!reusable) return void this.socket.destroy();
    this.keepMs =
      keepAliveHintMs < 0 ? IDLE_MS : Math.min(IDLE_MS, keepAliveHintMs - KEEP_ALIVE_HINT_MARGIN_MS);
    if (this.keepMs <= 0) return void this.socket.destroy();
    this.pool.idle(this);
  }

  /** The request is abandoned (its client went away): the connection cannot be reused. */
  abandon(): void {
    this.user = undefined;
    this.socket.destroy();
  }
}

export class RawPool {
  private readonly free: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private readonly waiting: UpstreamUser[] = [];
  private destroyed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly maxConnections: number,
  ) {}

  /** Gives `user` a connection now (an idle one, or a new one still connecting) or when one is free. */
  acquire(user: UpstreamUser): void {
    if (this.destroyed) return void user.onUpstreamClose(POOL_DESTROYED, true);
    const free = this.free;
    while (free.length > 0) {
      const connection = free.pop()!;
      if (performance.now() - connection.idleSince > connection.keepMs) {
        connection.socket.destroy();
        continue;
      }
      connection.user = user;
      user.onUpstream(connection, true);
      return;
    }
    if (this.all.size >= this.maxConnections) {
      this.waiting.push(user);
      return;
    }
    const connection = new UpstreamConnection(this, this.host, this.port);
    this.all.add(connection);
    connection.user = user;
    user.onUpstream(connection, false);
  }

  /** Takes `user` out of the queue (its client went away before it got a connection). */
  cancel(user: UpstreamUser): void {
    const index = this.waiting.indexOf(user);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  /** @internal */
  idle(connection: UpstreamConnection): void {
    if (this.destroyed) return void connection.socket.destroy();
    const next = this.waiting.shift();
    if (next !== undefined) {
      connection.user = next;
      next.onUpstream(connection, true);
      return;
    }
    connection.idleSince = performance.now();
    this.free.push(connection);
  }

  /** @internal */
  closed(connection: UpstreamConnection): void {
    this.all.delete(connection);
    const index = this.free.indexOf(connection);
    if (index >= 0) this.free.splice(index, 1);
    // A slot opened: the first waiting user gets a new connection.
    const next = this.destroyed ? undefined : this.waiting.shift();
    if (next !== undefined) this.acquire(next);
  }

  /** Closes idle connections past their keep time (called now and then). */
  sweep(now: number): void {
    for (const connection of [...this.free]) {
      if (now - connection.idleSince > connection.keepMs) connection.socket.destroy();
    }
  }

  /** Closes every connection; requests still on one fail. */
  destroy(): void {
    this.destroyed = true;
    for (const user of this.waiting.splice(0)) user.onUpstreamClose(POOL_DESTROYED, true);
    for (const connection of [...this.all]) connection.socket.destroy();
    this.free.length = 0;
  }
}
