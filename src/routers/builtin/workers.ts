// Several router processes sharing one listener (node:cluster), as nginx runs worker processes: the daemon's
// primary keeps the admin API and the route table, each worker runs a RouterProxy on the shared port. The
// primary sends every table to every worker; the workers report their statistics and in-flight counts
// every STATS_INTERVAL_MS, and the primary's answers add them up (so /stats and /inflight lag by that much).
import cluster, { type Worker } from "node:cluster";
import type { AddressInfo } from "node:net";
import type { RouteTable, VersionStats } from "../types.js";
import { type ProxyOptions, RouterProxy } from "./proxy.js";

const STATS_INTERVAL_MS = 100;
const WORKER_OPTIONS_ENV = "TANDEM_ROUTER_WORKER_OPTIONS";

type ToWorker = { type: "routes"; table: RouteTable } | { type: "close"; graceMs: number };
type FromWorker =
  | { type: "listening"; port: number }
  | { type: "listen-failed"; code: string; message: string }
  | { type: "report"; stats: Record<string, VersionStats>; inFlight: Record<string, number>; active: number };

/** `--workers N` from the daemon's argv (default 1: no workers, the proxy runs in the daemon itself). */
export function workerCount(argv: readonly string[]): number {
  const index = argv.indexOf("--workers");
  if (index < 0) return 1;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 64)
    throw new Error(`--workers must be a whole number from 1 to 64, got "${argv[index + 1]}"`);
  return value;
}

/** True in a worker process of the router daemon. */
export function isRouterWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_OPTIONS_ENV] !== undefined;
}

/** The daemon's proxy: itself with one worker, or a primary that spreads the work over `workers` processes. */
export function routerProxy(workers: number, options: ProxyOptions): RouterProxy {
  return workers <= 1 ? new RouterProxy(options) : new ClusterProxy(workers, options);
}

interface Report {
  stats: Record<string, VersionStats>;
  inFlight: Record<string, number>;
  active: number;
}

/**
 * The primary's view of its workers, with RouterProxy's interface (what the admin API and the daemon use).
 * Its own server is never listened on.
 */
class ClusterProxy extends RouterProxy {
  private readonly workers: Worker[] = [];
  private readonly reports = new Map<Worker, Report>();
  private table: RouteTable = { backends: [] };

  constructor(
    private readonly count: number,
    private readonly workerOptions: ProxyOptions,
  ) {
    super(workerOptions);
  }

  override async listen(port: number, host: string): Promise<AddressInfo> {
    // Workers share the primary's listener for the same (port, host), port 0 included: one random port.
    const first = await this.fork(port, host);
    for (let i = 1; i < this.count; i++) await this.fork(port, host);
    return { address: host, family: host.includes(":") ? "IPv6" : "IPv4", port: first };
  }

  private fork(port: number, host: string): Promise<number> {
    const worker = cluster.fork({
      [WORKER_OPTIONS_ENV]: JSON.stringify({ options: this.workerOptions, port, host }),
    });
    this.workers.push(worker);
    worker.on("message", (message: FromWorker) => {
      if (message.type === "report") this.reports.set(worker, message);
    });
    worker.once("exit", () => {
      this.reports.delete(worker);
      const index = this.workers.indexOf(worker);
      if (index >= 0) this.workers.splice(index, 1);
    });
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === "listening") {
          worker.off("message", onMessage);
          this.tell(worker, { type: "routes", table: this.table });
          resolve(message.port);
        } else if (message.type === "listen-failed") {
          worker.off("message", onMessage);
          reject(Object.assign(new Error(message.message), { code: message.code }));
        }
      };
      worker.on("message", onMessage);
      worker.once("exit", (code) => reject(new Error(`router worker exited with ${code} before listening`)));
    });
  }

  private tell(worker: Worker, message: ToWorker): void {
    if (worker.isConnected()) worker.send(message);
  }

  override setRoutes(table: RouteTable): void {
    this.table = table;
    for (const worker of this.workers) this.tell(worker, { type: "routes", table });
  }

  override routes(): RouteTable {
    return this.table;
  }

  override stats(): Record<string, VersionStats> {
    const result: Record<string, VersionStats> = {};
    for (const { stats } of this.reports.values()) {
      for (const [version, s] of Object.entries(stats)) {
        const sum = result[version];
        if (sum === undefined) {
          result[version] = structuredClone(s);
          continue;
        }
        sum.requests += s.requests;
        sum.errors += s.errors;
        sum.inFlight += s.inFlight;
        s.latency.counts.forEach((count, i) => {
          sum.latency.counts[i] = (sum.latency.counts[i] ?? 0) + count;
        });
      }
    }
    return result;
  }

  override inFlight(endpointId: string): number {
    let total = 0;
    for (const { inFlight } of this.reports.values()) total += inFlight[endpointId] ?? 0;
    return total;
  }

  override activeRequests(): number {
    let total = 0;
    for (const { active } of this.reports.values()) total += active;
    return total;
  }

  override async close(graceMs: number): Promise<void> {
    const exits = this.workers.map(
      (worker) => new Promise<void>((resolve) => worker.once("exit", () => resolve())),
    );
    for (const worker of this.workers) this.tell(worker, { type: "close", graceMs });
    await Promise.all(exits);
  }
}

/** A worker process: one RouterProxy on the shared listener, driven by the primary's messages. */
export function runRouterWorker(): void {
  const { options, port, host } = JSON.parse(process.env[WORKER_OPTIONS_ENV] ?? "{}") as {
    options: ProxyOptions;
    port: number;
    host: string;
  };
  const proxy = new RouterProxy(options);
  // Without its primary a worker has no table updates and nobody reads its figures: it stops.
  process.on("disconnect", () => void proxy.close(0).finally(() => process.exit(0)));
  process.on("SIGTERM", () => {}); // the primary decides when workers stop
  process.on("SIGINT", () => {});
  const report = () => {
    const inFlight = proxy.inFlightById();
    const message: FromWorker = {
      type: "report",
      stats: proxy.stats(),
      inFlight,
      active: proxy.activeRequests(),
    };
    if (process.connected) process.send?.(message);
  };
  const timer = setInterval(report, STATS_INTERVAL_MS);
  proxy.listen(port, host).then(
    (address) => process.send?.({ type: "listening", port: address.port } satisfies FromWorker),
    (error: NodeJS.ErrnoException) =>
      process.send?.({
        type: "listen-failed",
        code: error.code ?? "LISTEN_FAILED",
        message: error.message,
      } satisfies FromWorker),
  );
  process.on("message", (message: ToWorker) => {
    if (message.type === "routes") {
      proxy.setRoutes(message.table);
      report();
    } else if (message.type === "close") {
      void proxy.close(message.graceMs).finally(() => {
        clearInterval(timer);
        report();
        process.exit(0);
      });
    }
  });
}
