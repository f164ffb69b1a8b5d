import { Agent, request } from "node:http";
import { type LoadReport, type LoadRun, runLoad, startLoad } from "../../src/testing/load.js";

/** Steady traffic through a router: 4 in flight, about 100 requests/s, bounded in time and count. */
export function startSteadyLoad(url: string): LoadRun {
  return startLoad({ url, concurrency: 4, ratePerSecond: 100, durationMs: 120_000, maxRequests: 12_000 });
}

/** A fresh batch of requests, to see which versions answer now. */
export function sampleVersions(url: string, requests = 60): Promise<LoadReport> {
  return runLoad({ url, concurrency: 4, maxRequests: requests, durationMs: 15_000 });
}

/** One line about a load report, for assertion messages. */
export function describeLoad(report: LoadReport): string {
  return (
    `sent ${report.sent}, ok ${report.ok}, failed ${report.failed} ${JSON.stringify(report.failures)}, ` +
    `rejected ${report.rejected}, versions ${JSON.stringify(report.versions)}, p99 ${report.latencyMs.p99}ms, ` +
    `max ${report.latencyMs.max}ms`
  );
}

/** One request as a client saw it, with wall-clock times comparable to the store's timestamps. */
export interface RecordedRequest {
  startedAt: number;
  endedAt: number;
  latencyMs: number;
  status?: number;
  /** Network error code, e.g. ECONNREFUSED or ETIMEDOUT. */
  error?: string;
  /** The `version` field of the JSON body. */
  version?: string;
}

export interface RecordingOptions {
  url: string;
  concurrency: number;
  ratePerSecond: number;
  maxRequests: number;
  durationMs: number;
  /** A request taking longer fails with ETIMEDOUT. Default 5s. */
  requestTimeoutMs?: number;
}

export interface Recording {
  /** Requests finished so far. */
  finished(): readonly RecordedRequest[];
  /** Stops sending, waits for the requests in flight, returns every request. */
  stop(): Promise<RecordedRequest[]>;
}

/**
 * Like the load generator, but keeps every request with its start and end time, to tell when a
 * request was held by the router and for how long. Bounded by maxRequests and durationMs.
 */
export function startRecording(options: RecordingOptions): Recording {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const records: RecordedRequest[] = [];
  const begin = Date.now();
  const halt = AbortSignal.timeout(options.durationMs);
  let stopped = false;
  let tickets = 0;
  const worker = async () => {
    while (!stopped && !halt.aborted && tickets < options.maxRequests) {
      const ticket = tickets++;
      const wait = begin + (ticket * 1000) / options.ratePerSecond - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stopped || halt.aborted) return;
      records.push(await sendOne(options.url, agent, options.requestTimeoutMs ?? 5000));
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => {
    agent.destroy();
    return records;
  });
  return {
    finished: () => records,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

function sendOne(url: string, agent: Agent, timeoutMs: number): Promise<RecordedRequest> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Pick<RecordedRequest, "status" | "error" | "version">) => {
      if (settled) return;
      settled = true;
      const endedAt = Date.now();
      resolve({ startedAt, endedAt, latencyMs: endedAt - startedAt, ...outcome });
    };
    const req = request(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => finish({ status: res.statusCode, version: versionIn(body) }));
      res.on("error", (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    });
    req.setTimeout(timeoutMs, () => {
      const error: NodeJS.ErrnoException = new Error(`no response within ${timeoutMs}ms`);
      error.code = "ETIMEDOUT";
      req.destroy(error);
    });
    req.on("error", (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    req.end();
  });
}

function versionIn(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { version?: unknown };
    return typeof parsed.version === "string" ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}

/** Counts of requests by answer: a status code, a network error, and by version among 2xx answers. */
export function summarize(records: readonly RecordedRequest[]): {
  ok: number;
  failed: number;
  failures: Record<string, number>;
  versions: Record<string, number>;
} {
  const failures: Record<string, number> = {};
  const versions: Record<string, number> = {};
  let ok = 0;
  for (const record of records) {
    if (record.status !== undefined && record.status < 400) {
      ok++;
      const version = record.version ?? "(none)";
      versions[version] = (versions[version] ?? 0) + 1;
    } else {
      const reason = record.error ?? String(record.status);
      failures[reason] = (failures[reason] ?? 0) + 1;
    }
  }
  return { ok, failed: records.length - ok, failures, versions };
}
