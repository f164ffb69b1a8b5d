import { Agent, request as httpRequest } from "node:http";
import { isStaleSocketError } from "../../core/stale-socket.js";

/** One call to a router daemon's admin API on 127.0.0.1. */
export interface AdminCall {
  port: number;
  method: string;
  path: string;
  token: string;
  /** JSON text, or undefined for none. */
  body?: string;
  signal: AbortSignal;
  /** Which connections it uses: the passes' (default) or the ejects' own. */
  lane?: "routes" | "eject";
}

/** What the daemon's admin API answered. */
export interface AdminAnswer {
  status: number;
  text: string;
}

/** An admin answer larger than this is refused (the largest is a route table of a few thousand ids). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * Every builtin router client's connections to its daemon's admin API, kept alive between calls: a
 * pass costs a request on an open socket, not a TCP handshake and a fetch() with its streams and
 * signals. At most this many at once per daemon; further calls wait in the agent's queue (their
 * timeout counts the wait). Idle sockets do not keep the process alive.
 */
const MAX_SOCKETS_PER_DAEMON = 32;
const agents = {
  routes: new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_DAEMON, scheduling: "lifo" }),
  /**
   * Ejects have connections of their own: in the agent above they would queue behind the passes' route
   * calls (thousands a second with 1,000 releases), which is the wait an eject exists to avoid.
   */
  eject: new Agent({ keepAlive: true, maxSockets: 4, scheduling: "lifo" }),
};

/**
 * One admin call. A kept-alive socket the daemon closed while idle fails on reuse before any answer:
 * the call is sent once more on a new connection (every admin call may be repeated: PUT and eject set
 * a state, GET reads one).
 */
export function adminRequest(call: AdminCall, retryStale = true): Promise<AdminAnswer> {
  const { port, method, path, token, body, signal } = call;
  return new Promise<AdminAnswer>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(body);
    }
    const agent = agents[call.lane ?? "routes"];
    const req = httpRequest({ agent, host: "127.0.0.1", port, path, method, headers });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => {
      settle(() => reject(signal.reason));
      req.destroy();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    req.on("error", (error) => {
      if (retryStale && req.reusedSocket && isStaleSocketError(error)) {
        settle(() => resolve(adminRequest(call, false)));
        return;
      }
      settle(() => reject(error));
    });
    req.on("response", (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          settle(() => reject(new Error(`the answer exceeds ${MAX_ANSWER_BYTES} bytes`)));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on("error", (error) => settle(() => reject(error)));
      response.on("end", () =>
        settle(() =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        ),
      );
    });
    req.end(body);
  });
}
