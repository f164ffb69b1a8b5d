import { Agent, type AgentOptions, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/** Node's margin under an upstream's announced keep-alive timeout (HTTP_AGENT_KEEP_ALIVE_TIMEOUT_BUFFER). */
const KEEP_ALIVE_TIMEOUT_BUFFER_MS = 1000;
const TCP_KEEP_ALIVE_SET = Symbol("tcpKeepAliveSet");

type PooledSocket = Socket & {
  [TCP_KEEP_ALIVE_SET]?: boolean;
  /** Node's ClientRequest currently on the socket (internal, as Node's own Agent reads it). */
  _httpMessage?: { res?: IncomingMessage } | null;
};

/**
 * The keep-alive agent of one endpoint: Node's Agent, with the same decisions in `keepSocketAlive` (run
 * after every response) at less cost on the hot path: TCP keep-alive is set once per socket rather than
 * by a system call per request, and the upstream's `Keep-Alive: timeout=N` hint is read from the raw header
 * list, so no headers object is built for a response the proxy forwards from its raw headers.
 */
export class PoolAgent extends Agent {
  private readonly idleTimeoutMs: number;
  private readonly tcpKeepAliveMs: number;

  constructor(options: AgentOptions) {
    super(options);
    this.idleTimeoutMs = options.timeout ?? 0;
    this.tcpKeepAliveMs = options.keepAliveMsecs ?? 1000;
  }

  override keepSocketAlive(socket: PooledSocket): boolean {
    if (!socket[TCP_KEEP_ALIVE_SET]) {
      socket.setKeepAlive(true, this.tcpKeepAliveMs);
      socket[TCP_KEEP_ALIVE_SET] = true;
    }
    socket.unref();
    let timeoutMs = this.idleTimeoutMs;
    const hint = keepAliveHint(socket._httpMessage?.res?.rawHeaders);
    if (hint !== undefined) {
      const serverTimeoutMs = hint * 1000 - KEEP_ALIVE_TIMEOUT_BUFFER_MS;
      // The upstream closes idle connections too soon to reuse this one safely.
      if (serverTimeoutMs <= 0) return false;
      if (serverTimeoutMs < timeoutMs) timeoutMs = serverTimeoutMs;
    }
    if (socket.timeout !== timeoutMs) socket.setTimeout(timeoutMs);
    return true;
  }
}

/** The `timeout=N` of the first Keep-Alive field, in seconds, as Node's Agent reads it. */
export function keepAliveHint(raw: readonly string[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 10 || name.toLowerCase() !== "keep-alive") continue;
    const timeout = /^timeout=(\d+)/.exec(raw[i + 1]!)?.[1];
    return timeout === undefined ? undefined : Number.parseInt(timeout, 10);
  }
  return undefined;
}
