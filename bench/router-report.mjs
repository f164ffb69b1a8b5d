// Turns the router benchmark's measurements into its printed table, comparisons and goal verdicts.
import { cpus, platform } from "node:os";

/** The goals: builtin ≥ 0.8× nginx's closed-loop throughput, ≤ 1 ms added p99 at the fixed rate. */
export const GOAL_THROUGHPUT_RATIO = 0.8;
export const GOAL_ADDED_P99_MS = 1;

export function median(values) {
  const present = values.filter((v) => !Number.isNaN(v));
  if (present.length === 0) return Number.NaN;
  const sorted = [...present].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function mergeCounts(a, b) {
  const merged = { ...a };
  for (const [key, count] of Object.entries(b)) merged[key] = (merged[key] ?? 0) + count;
  return merged;
}

const fixed = (value, digits = 1) => (Number.isNaN(value) ? "-" : value.toFixed(digits));
const signed = (value) => (Number.isNaN(value) ? "-" : `${value >= 0 ? "+" : ""}${value.toFixed(2)}`);

export function summarize(target, runs) {
  const cpu = (name) => median(runs.map((r) => r.cpuPerRequest[name] ?? Number.NaN));
  return {
    name: target.name,
    runs,
    throughput: median(runs.map((r) => r.throughput)),
    closedP99: median(runs.map((r) => r.closedP99)),
    rateAchieved: median(runs.map((r) => r.rateAchieved)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    versions: runs.map((r) => r.versions).reduce(mergeCounts, {}),
    proxyCpu: cpu("proxy"),
    upstreamCpu: cpu("upstream"),
    clientCpu: cpu("client"),
    clientBusy: median(runs.map((r) => r.clientBusy)),
  };
}

function splitShares(row) {
  const total = Object.values(row.versions).reduce((a, b) => a + b, 0);
  const shares = Object.entries(row.versions).map(([v, n]) => `${v} ${fixed((100 * n) / total)}%`);
  return `${row.name}: ${shares.join(", ")} of ${total} responses`;
}

/**
 * Prints the table and verdicts; `settings` carries the run's constants. Returns true when both goals pass.
 * Row names used: direct, builtin 100%, nginx 100%, builtin 90/10, nginx 90/10, nginx auto 100%.
 */
export function report(rows, settings, startedAt) {
  const byName = new Map(rows.map((row) => [row.name, row]));
  const direct = byName.get("direct");
  const builtin = byName.get("builtin 100%");
  const nginx = byName.get("nginx 100%");
  const cpu = cpus();
  const { rounds, concurrency, measureMs, warmupMs, ratePerSecond, nginxAutoWorkers } = settings;
  const lines = [
    `Tandem builtin router vs. nginx ${settings.nginxVersion} vs. direct upstream — ${cpu[0]?.model ?? "unknown CPU"}, ` +
      `${cpu.length} cores, node ${process.version}, ${platform()}, load average before ${settings.loadBefore}`,
    `medians of ${rounds} alternating rounds; closed loop: ${concurrency} concurrent for ${measureMs / 1000}s ` +
      `after ${warmupMs / 1000}s warm-up; fixed rate: ${ratePerSecond} req/s for ${measureMs / 1000}s; ` +
      "one load tool (bench/load-client.mjs) for every target",
    "",
    "                    closed loop   |  fixed rate            | CPU µs per request         | load client",
    "target            req/s  p99 ms   |  req/s  p50 ms  p99 ms | proxy  upstream  client    | busy",
  ];
  for (const row of rows) {
    lines.push(
      `${row.name.padEnd(16)} ${fixed(row.throughput, 0).padStart(6)}  ${fixed(row.closedP99).padStart(6)}   |` +
        ` ${fixed(row.rateAchieved, 0).padStart(6)}  ${fixed(row.p50, 2).padStart(6)}  ${fixed(row.p99, 2).padStart(6)} |` +
        ` ${fixed(row.proxyCpu, 0).padStart(5)}  ${fixed(row.upstreamCpu, 0).padStart(8)}  ${fixed(row.clientCpu, 0).padStart(6)}    |` +
        ` ${fixed(100 * row.clientBusy, 0).padStart(3)}%`,
    );
  }
  lines.push("");
  const perRound = (a, b) =>
    a.runs.map((run, i) => fixed(run.throughput / b.runs[i].throughput, 2)).join(", ");
  const ratio = builtin.throughput / nginx.throughput;
  lines.push(
    `throughput builtin / nginx (1 worker), closed loop: ${fixed(ratio, 2)}× (per round: ${perRound(builtin, nginx)})`,
  );
  const builtinSplit = byName.get("builtin 90/10");
  const nginxSplit = byName.get("nginx 90/10");
  if (builtinSplit && nginxSplit) {
    lines.push(
      `throughput builtin 90/10 / nginx 90/10: ${fixed(builtinSplit.throughput / nginxSplit.throughput, 2)}× ` +
        `(per round: ${perRound(builtinSplit, nginxSplit)})`,
    );
  }
  const auto = byName.get("nginx auto 100%");
  if (auto) {
    lines.push(
      `nginx with worker_processes auto (${nginxAutoWorkers} workers): ${fixed(auto.throughput, 0)} req/s, ` +
        `${fixed(auto.throughput / nginx.throughput, 2)}× nginx with 1 worker; builtin / nginx auto ${fixed(builtin.throughput / auto.throughput, 2)}×`,
    );
  }
  lines.push(
    `throughput vs. direct: builtin ${fixed(builtin.throughput / direct.throughput, 2)}×, nginx ${fixed(nginx.throughput / direct.throughput, 2)}×`,
  );
  const added = (row) => ({ p50: row.p50 - direct.p50, p99: row.p99 - direct.p99 });
  const builtinAdded = added(builtin);
  const nginxAdded = added(nginx);
  lines.push(
    `added over direct at ${ratePerSecond} req/s: builtin p50 ${signed(builtinAdded.p50)} ms, p99 ${signed(builtinAdded.p99)} ms; ` +
      `nginx p50 ${signed(nginxAdded.p50)} ms, p99 ${signed(nginxAdded.p99)} ms`,
  );
  // What one core could carry if the proxy had it to itself: less sensitive to a busy machine than req/s.
  const perCore = (row) => fixed(1e6 / row.proxyCpu, 0);
  lines.push(
    `one core's worth at the measured CPU per request: builtin ≈ ${perCore(builtin)} req/s, nginx ≈ ${perCore(nginx)} req/s ` +
      `(builtin / nginx ${fixed(nginx.proxyCpu / builtin.proxyCpu, 2)}×)`,
  );
  for (const row of rows) if (row.name.includes("90/10")) lines.push(`split observed, ${splitShares(row)}`);
  const throughputPass = ratio >= GOAL_THROUGHPUT_RATIO;
  const rateReached = [direct, builtin].every((row) => row.rateAchieved >= 0.95 * ratePerSecond);
  const latencyPass = rateReached && builtinAdded.p99 <= GOAL_ADDED_P99_MS;
  lines.push("");
  if (settings.busy) {
    lines.push(
      `WARNING: the machine was busy (load average ${settings.loadBefore} on ${cpu.length} cores): ` +
        "the load client, the upstream and the proxies waited for CPU, so the figures are not the proxies' own",
    );
  }
  if (!rateReached) {
    lines.push(
      `WARNING: the fixed rate was not reached (direct ${fixed(direct.rateAchieved, 0)}, builtin ` +
        `${fixed(builtin.rateAchieved, 0)} of ${ratePerSecond} req/s): the latency is that of an overload, not of ${ratePerSecond} req/s`,
    );
  }
  lines.push(
    `${throughputPass ? "PASS" : "FAIL"} throughput: builtin ${fixed(ratio, 2)}× nginx (goal ≥ ${GOAL_THROUGHPUT_RATIO}×)`,
    `${latencyPass ? "PASS" : "FAIL"} latency: builtin adds ${signed(builtinAdded.p99)} ms p99 at ${ratePerSecond} req/s ` +
      `(goal ≤ ${GOAL_ADDED_P99_MS} ms${rateReached ? "" : "; rate not reached"})`,
    `(${fixed((performance.now() - startedAt) / 1000)}s in all)`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
  return throughputPass && latencyPass;
}
