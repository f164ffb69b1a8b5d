import { setMaxListeners } from "node:events";
import { Agent, request } from "node:http";
import { isIP } from "node:net";
import { performance } from "node:perf_hooks";
import { TandemError } from "../core/errors.js";

export interface LoadOptions {
  /** An http:// URL on a loopback host (127.0.0.0/8, ::1, localhost); anything else is refused. */
  url: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Upper bound on the request rate across all workers. Default: as fast as responses come. */
  ratePerSecond?: number;
  /** Stop sending after this long (required upper bound). Requests in flight then still finish. */
  durationMs: number;
  /** Stop after sending this many requests (required upper bound). */
  maxRequests: number;
  /** Stop sending when aborted. */
  signal?: AbortSignal;
  /** Reuse connections, as a browser or a service client would. Default true. */
  keepAlive?: boolean;
  /** A request that takes longer fails with reason `ETIMEDOUT`. Default 5000. */
  requestTimeoutMs?: number;
}

export type LoadStopReason = "maxRequests" | "duration" | "signal" | "stopped";

export interface LoadReport {
  /** Requests started. Equals ok + failed + rejected + inFlight. */
  sent: number;
  /** Responses with status 2xx or 3xx. */
  ok: number;
  /** Responses with status >= 500, and network errors. */
  failed: number;
  /** Responses with status 4xx: neither ok nor a server failure. */
  rejected: number;
  inFlight: number;
  /** Failures by reason: the status (`"502"`) or the network error code (`"ECONNREFUSED"`). */
  failures: Record<string, number>;
  /** Responses by the `version` field of their JSON body, when there is one. */
  versions: Record<string, number>;
  /** Responses with status >= 500 by the `version` field of their JSON body. */
  versionFailures: Record<string, number>;
  /** Latency of completed requests (responses and errors), in milliseconds. */
  latencyMs: { p50: number; p99: number; max: number };
  elapsedMs: number;
  /** Why sending stopped; absent while it goes on. */
  stoppedBy?: LoadStopReason;
}

export interface LoadRun {
  /** Stops sending, waits for the requests in flight, and returns the final report. */
  stop(): Promise<LoadReport>;
  /** The report so far, without stopping. */
  snapshot(): LoadReport;
  /** Resolves with the final report once the run ends by itself or is stopped. */
  readonly done: Promise<LoadReport>;
}

const MAX_BODY_BYTES = 64 * 1024;

/** Throws unless `url` is http(s) on a loopback host: the load generator never leaves the machine. */
export function assertLoopbackUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw invalid(`"${url}" is not a URL`, cause);
  }
  if (parsed.protocol !== "http:") throw invalid(`only http:// URLs are supported, not ${parsed.protocol}`);
  if (!isLoopbackHost(parsed.hostname)) {
    throw invalid(`refusing to send load to ${parsed.hostname}: only loopback hosts are allowed`);
  }
  return parsed;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.split(".")[0] === "127";
  if (isIP(host) === 6) return host === "::1" || /^::ffff:127\./.test(host);
  return false;
}

/** Sends load until maxRequests or durationMs (or the signal), and returns the report. */
export function runLoad(options: LoadOptions): Promise<LoadReport> {
  try {
    return startLoad(options).done;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Starts sending load in the background; `stop()` ends it early. It also ends by itself. */
export function startLoad(options: LoadOptions): LoadRun {
  const url = assertLoopbackUrl(options.url);
  validateBounds(options);
  const timeoutMs = options.requestTimeoutMs ?? 5000;
  const agent = new Agent({ keepAlive: options.keepAlive ?? true, maxSockets: options.concurrency });
  const stats = new LoadStats();
  const halt = new AbortController();
  // Each paced worker waits on this signal: one listener per worker is expected, not a leak.
  setMaxListeners(options.concurrency + 1, halt.signal);
  const started = performance.now();
  let stoppedBy: LoadStopReason | undefined;

  const stopSending = (reason: LoadStopReason) => {
    stoppedBy ??= reason;
    halt.abort();
  };
  const deadline = setTimeout(() => stopSending("duration"), options.durationMs);
  const onSignal = () => stopSending("signal");
  if (options.signal?.aborted) onSignal();
  options.signal?.addEventListener("abort", onSignal, { once: true });

  const intervalMs = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  let tickets = 0;
  const worker = async () => {
    while (!halt.signal.aborted) {
      if (tickets >= options.maxRequests) return stopSending("maxRequests");
      // Request number `ticket` may start at started + ticket * interval: the rate holds across workers.
      const ticket = tickets++;
      const wait = started + ticket * intervalMs - performance.now();
      if (wait > 0 && !(await sleepUnlessHalted(wait, halt.signal))) return;
      stats.sent++;
      stats.inFlight++;
      const outcome = await send(url, agent, timeoutMs);
      stats.inFlight--;
      stats.record(outcome);
    }
  };

  const workers = Math.max(1, Math.min(options.concurrency, options.maxRequests));
  const done = Promise.all(Array.from({ length: workers }, worker)).then(() => {
    clearTimeout(deadline);
    options.signal?.removeEventListener("abort", onSignal);
    agent.destroy();
    return stats.report(performance.now() - started, stoppedBy ?? "maxRequests");
  });

  return {
    done,
    snapshot: () => stats.report(performance.now() - started, stoppedBy),
    stop: () => {
      stopSending("stopped");
      return done;
    },
  };
}

interface Outcome {
  status?: number;
  errorCode?: string;
  version?: string;
  latencyMs: number;
}

function send(url: URL, agent: Agent, timeoutMs: number): Promise<Outcome> {
  const begin = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<Outcome, "latencyMs">) => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, latencyMs: performance.now() - begin });
    };
    const req = request(url, { agent, method: "GET", headers: { accept: "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () => {
        finish({ status: res.statusCode ?? 0, version: versionOf(Buffer.concat(chunks).toString("utf8")) });
      });
      res.on("error", (error: NodeJS.ErrnoException) => finish({ errorCode: error.code ?? error.message }));
    });
    req.setTimeout(timeoutMs, () => {
      const error: NodeJS.ErrnoException = new Error(`no response within ${timeoutMs}ms`);
      error.code = "ETIMEDOUT";
      req.destroy(error);
    });
    req.on("error", (error: NodeJS.ErrnoException) => finish({ errorCode: error.code ?? error.message }));
    req.end();
  });
}

function versionOf(body: string): string | undefined {
  if (!body.trimStart().startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const version = (parsed as { version?: unknown }).version;
    return typeof version === "string" || typeof version === "number" ? String(version) : undefined;
  } catch {
    return undefined;
  }
}

class LoadStats {
  sent = 0;
  inFlight = 0;
  private ok = 0;
  private failed = 0;
  private rejected = 0;
  private failures: Record<string, number> = {};
  private versions: Record<string, number> = {};
  private versionFailures: Record<string, number> = {};
  private latencies: number[] = [];

  record(outcome: Outcome): void {
    this.latencies.push(outcome.latencyMs);
    if (outcome.version !== undefined) increment(this.versions, outcome.version);
    if (outcome.status === undefined) {
      this.failed++;
      increment(this.failures, outcome.errorCode ?? "error");
    } else if (outcome.status >= 500) {
      this.failed++;
      increment(this.failures, String(outcome.status));
      if (outcome.version !== undefined) increment(this.versionFailures, outcome.version);
    } else if (outcome.status >= 400) {
      this.rejected++;
    } else {
      this.ok++;
    }
  }

  report(elapsedMs: number, stoppedBy: LoadStopReason | undefined): LoadReport {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const report: LoadReport = {
      sent: this.sent,
      ok: this.ok,
      failed: this.failed,
      rejected: this.rejected,
      inFlight: this.inFlight,
      failures: { ...this.failures },
      versions: { ...this.versions },
      versionFailures: { ...this.versionFailures },
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100) },
      elapsedMs: Math.round(elapsedMs),
    };
    if (stoppedBy !== undefined) report.stoppedBy = stoppedBy;
    return report;
  }
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Nearest-rank percentile of sorted values, rounded to 0.1 ms; 0 when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return Math.round(sorted[rank - 1]! * 10) / 10;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleepUnlessHalted(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function validateBounds(options: LoadOptions): void {
  const positive = (name: string, value: number | undefined, required: boolean) => {
    if (value === undefined && !required) return;
    if (value === undefined || !Number.isFinite(value) || value <= 0) {
      throw invalid(`${name} must be a positive number, not ${value}`);
    }
  };
  positive("concurrency", options.concurrency, true);
  positive("durationMs", options.durationMs, true);
  positive("maxRequests", options.maxRequests, true);
  positive("ratePerSecond", options.ratePerSecond, false);
}

function invalid(message: string, cause?: unknown): TandemError {
  return new TandemError("TANDEM_ERR_INVALID_REQUEST", `load generator: ${message}`, {
    cause,
    hint: "point it at a local router or instance, e.g. http://127.0.0.1:8080/",
  });
}
