import { Agent, request as httpRequest } from "node:http";
import type { ProbeConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import { isStaleSocketError } from "../core/stale-socket.js";
import type { Endpoint } from "../core/types.js";
import { describeNetworkError, hostPort } from "./network.js";
import type { Probe, ProbeResult } from "./types.js";

export type HttpProbeConfig = Extract<ProbeConfig, { type: "http" }>;

const BODY_EXCERPT_CHARS = 120;
/** A health body longer than this is matched on its beginning. */
const MAX_BODY_CHARS = 64 * 1024;

/**
 * GET http://host:port/path; healthy when the status is within `status` (redirects are not followed,
 * a 3xx is judged as it is) and, when `body` is set, the body matches it.
 */
export class HttpProbe implements Probe {
  readonly name: string;
  private readonly bodyPattern: RegExp | undefined;

  constructor(readonly config: HttpProbeConfig) {
    this.name = config.name;
    try {
      this.bodyPattern = config.body === undefined ? undefined : new RegExp(config.body);
    } catch (error) {
      throw new TandemError(
        "TANDEM_ERR_PROBE",
        `probe "${config.name}": invalid body pattern ${config.body}`,
        {
          cause: error,
          hint: 'write `body` as a JavaScript regular expression, e.g. \'"status":\\s*"ok"\'',
        },
      );
    }
  }

  check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    return this.attempt(endpoint, signal, performance.now(), true);
  }

  /**
   * One GET over the shared keep-alive agent. A kept-alive socket the instance closed while idle fails
   * as soon as it is reused (ECONNRESET, "socket hang up"): that says nothing of the instance, so the
   * check is tried once more on a new connection.
   */
  private attempt(
    endpoint: Endpoint,
    signal: AbortSignal,
    startedAt: number,
    retryStale: boolean,
  ): Promise<ProbeResult> {
    const { config } = this;
    const port = config.port ?? endpoint.port;
    const path = config.path.startsWith("/") ? config.path : `/${config.path}`;
    const request = `GET http://${hostPort(endpoint.host, port)}${path}`;
    const [low, high] = config.status;
    const elapsed = () => Math.round(performance.now() - startedAt);
    return new Promise<ProbeResult>((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (ok: boolean, message: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve({ ok, message, durationMs: elapsed() });
      };
      if (signal.aborted) return finish(false, `${request} -> aborted`);
      const req = httpRequest({
        agent: probeAgent,
        host: unbracketed(endpoint.host),
        port,
        path,
        method: "GET",
        headers: config.headers,
      });
      const onAbort = () => {
        finish(false, `${request} -> aborted`);
        req.destroy();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const remainingMs = Math.max(1, config.timeout - (performance.now() - startedAt));
      timer = setTimeout(() => {
        finish(false, `${request} -> timed out after ${config.timeout}ms`);
        req.destroy();
      }, remainingMs);
      req.on("error", (error) => {
        if (done) return;
        if (retryStale && req.reusedSocket && isStaleSocketError(error)) {
          done = true;
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          resolve(this.attempt(endpoint, signal, startedAt, false));
          return;
        }
        finish(false, `${request} -> ${describeNetworkError(error)}`);
      });
      req.on("response", (response) => {
        const seen = `${request} -> ${response.statusCode}`;
        const status = response.statusCode ?? 0;
        if (status < low || status > high || !this.bodyPattern) {
          // Read to the end, so that the socket goes back to the agent for the next check.
          response.resume();
          response.on("end", () =>
            status < low || status > high
              ? finish(false, `${seen} (expected ${low}-${high})`)
              : finish(true, seen),
          );
          response.on("error", (error) => finish(false, `${seen}, ${describeNetworkError(error)}`));
          return;
        }
        const pattern = this.bodyPattern;
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (body.length < MAX_BODY_CHARS) body += chunk;
        });
        response.on("error", (error) => finish(false, `${seen}, ${describeNetworkError(error)}`));
        response.on("end", () =>
          pattern.test(body)
            ? finish(true, `${seen}, body matches`)
            : finish(
                false,
                `${seen}, body does not match /${config.body}/: ${JSON.stringify(excerpt(body))}`,
              ),
        );
      });
      req.end();
    });
  }
}

/**
 * Every http probe's connections: kept alive between checks, so that a round costs a request on an
 * open socket rather than a TCP handshake, a new socket and a fetch() with its streams and signals.
 * Idle sockets do not keep the process alive (the agent unrefs them).
 */
const probeAgent = new Agent({ keepAlive: true, scheduling: "lifo" });

function unbracketed(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function excerpt(body: string): string {
  return body.length > BODY_EXCERPT_CHARS ? `${body.slice(0, BODY_EXCERPT_CHARS)}…` : body;
}
