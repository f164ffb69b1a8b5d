import { Client, type Dispatcher, Pool } from "undici";
import { hostHeader } from "./headers.js";

/**
 * A Client that counts the responses completed on its current connection, so an attempt can tell whether it
 * went out on a reused keep-alive socket (what `ClientRequest.reusedSocket` told with node:http).
 */
export class EndpointClient extends Client {
  /** Responses completed on the current connection; reset when a new connection is made. */
  served = 0;

  constructor(origin: string | URL, options: Client.Options) {
    super(origin, options);
    this.on("connect", () => {
      this.served = 0;
    });
  }

  // Pool hands each request to one of its clients through dispatch: the attempt learns its client here.
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    (handler as { client?: EndpointClient }).client = this;
    return super.dispatch(options, handler);
  }
}

/**
 * The keep-alive pool of one endpoint: `connections` sockets at most, one request at a time on each
 * (pipelining 1), no headers or body timeout (as node:http had none), idle sockets closed after 4 s, or 1 s
 * before the upstream's announced `Keep-Alive: timeout=N` if that is sooner (none kept if that leaves nothing).
 */
export function endpointPool(host: string, port: number, connections: number): Pool {
  return new Pool(`http://${hostHeader(host, port)}`, {
    connections,
    pipelining: 1,
    // Free sockets expire before Node's default server keepAliveTimeout (5s), narrowing the race in
    // which the upstream closes an idle socket just as we reuse it.
    keepAliveTimeout: 4000,
    keepAliveTimeoutThreshold: 1000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { keepAlive: true, keepAliveInitialDelay: 1000 },
    factory: (origin, options) => new EndpointClient(origin, options as Client.Options),
  });
}
