// Turns the router benchmark's measurements into its printed table, ratios against nginx and goal verdicts.
import { cpus, platform } from "node:os";

/** The issue's goals, builtin against nginx at 32 and 256 connections and at the fixed rate. */
export const GOAL_THROUGHPUT_RATIO = 0.8;
export const GOAL_CPU_RATIO = 1.5;
export const GOAL_ADDED_P99_MS = 1;
const GOAL_CONNECTIONS = [32, 256];

export function median(values) {
  const present = values.filter((v) => !Number.isNaN(v));
  if (present.length === 0) return Number.NaN;
  const sorted = [...present].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const fixed = (value, digits = 1) => (Number.isNaN(value) ? "-" : value.toFixed(digits));
const signed = (value) => (Number.isNaN(value) ? "-" : `${value >= 0 ? "+" : ""}${value.toFixed(2)}`);
const times = (value) => `${fixed(value, 2)}×`;
const loads = (values) => values.map((l) => l.toFixed(2)).join(" ");

/**
 * Prints the report. `closed[target][connections]` holds wrk runs ({throughput, cpu: {proxy, upstream}}),
 * `latency[target]` h2load runs ({rate, p50, p99}); targets are direct, builtin and nginx. Returns true when
 * every goal passes.
 */
export function report({ closed, latency, settings }) {
  const cpu = cpus();
  const s = settings;
  const medianOf = (target, connections, pick) => median(closed[target][connections].map(pick));
  const lines = [
    `Tandem builtin router vs. nginx ${s.nginxVersion} vs. direct upstream — ${cpu[0]?.model ?? "unknown CPU"}, ` +
      `${cpu.length} cores, node ${process.version}, ${platform()}; load average before ${loads(s.loadBefore)}, ` +
      `after ${loads(s.loadAfter)}`,
    `proxies: ${s.workers} worker${s.workers === 1 ? "" : "s"} each (nginx worker_processes ${s.workers}, ` +
      `builtin ${s.workers === 1 ? "one process" : `${s.workers} processes`}); upstream: nginx answering a fixed 200 from memory, ${s.upstreamWorkers} worker${s.upstreamWorkers === 1 ? "" : "s"}`,
    s.pin
      ? `pinned (taskset): each proxy on core ${s.pin.proxy} of its own, the same for both; wrk, h2load and the upstream on core ${s.pin.load}`
      : "not pinned: the proxies, the upstream and the load tools share every core",
    `closed loop: wrk ${s.wrkVersion} (threads = min(connections, load cores)), ${s.measureS}s per run after a ` +
      `${s.warmupS}s warm-up; fixed rate: h2load ${s.h2loadVersion} --h1, ${s.fixedRate} req/s over ` +
      `${s.rateClients} connections for ${s.rateS}s; medians of ${s.rounds} alternating rounds`,
    "",
    "closed loop, req/s     direct   builtin     nginx | builtin/nginx (per round)      | nginx/direct",
  ];
  for (const connections of s.connections) {
    const t = (target) => medianOf(target, connections, (r) => r.throughput);
    const perRound = closed.builtin[connections]
      .map((run, i) => fixed(run.throughput / closed.nginx[connections][i].throughput, 2))
      .join(", ");
    lines.push(
      `${String(connections).padStart(4)} connections  ${fixed(t("direct"), 0).padStart(9)} ${fixed(t("builtin"), 0).padStart(9)} ` +
        `${fixed(t("nginx"), 0).padStart(9)} | ${`${times(t("builtin") / t("nginx"))} (${perRound})`.padEnd(30)} | ` +
        times(t("nginx") / t("direct")),
    );
  }
  lines.push("", "CPU µs per request       builtin     nginx | builtin/nginx | upstream µs (direct)");
  for (const connections of s.connections) {
    const c = (target, name) => medianOf(target, connections, (r) => r.cpu[name] ?? Number.NaN);
    lines.push(
      `${String(connections).padStart(4)} connections    ${fixed(c("builtin", "proxy"), 1).padStart(9)} ` +
        `${fixed(c("nginx", "proxy"), 1).padStart(9)} | ${times(c("builtin", "proxy") / c("nginx", "proxy")).padStart(13)} | ` +
        `${fixed(c("direct", "upstream"), 1)}`,
    );
  }
  lines.push("", "busy (share of a core)   builtin     nginx | load cores with builtin  with nginx");
  for (const connections of s.connections) {
    const b = (target, name) => medianOf(target, connections, (r) => r.busy?.[name] ?? Number.NaN);
    lines.push(
      `${String(connections).padStart(4)} connections    ${fixed(b("builtin", "proxy"), 2).padStart(9)} ` +
        `${fixed(b("nginx", "proxy"), 2).padStart(9)} | ${fixed(b("builtin", "loadCores"), 2).padStart(23)} ` +
        `${fixed(b("nginx", "loadCores"), 2).padStart(11)}`,
    );
  }
  const lat = (target, key) => median(latency[target].map((r) => r[key]));
  const added = (target, key) => lat(target, key) - lat("direct", key);
  lines.push(
    "",
    `at ${s.fixedRate} req/s (ms)     direct   builtin     nginx | added builtin  added nginx | builtin/nginx added`,
  );
  for (const key of ["p50", "p99"]) {
    lines.push(
      `${key.padEnd(18)} ${fixed(lat("direct", key), 2).padStart(9)} ${fixed(lat("builtin", key), 2).padStart(9)} ` +
        `${fixed(lat("nginx", key), 2).padStart(9)} | ${signed(added("builtin", key)).padStart(13)} ` +
        `${signed(added("nginx", key)).padStart(12)} | ${times(added("builtin", key) / added("nginx", key))}`,
    );
  }
  lines.push(
    `rate reached: direct ${fixed(lat("direct", "rate"), 0)}, builtin ${fixed(lat("builtin", "rate"), 0)}, ` +
      `nginx ${fixed(lat("nginx", "rate"), 0)} req/s`,
  );
  lines.push("");
  let passed = true;
  for (const connections of GOAL_CONNECTIONS) {
    const ratio =
      medianOf("builtin", connections, (r) => r.throughput) /
      medianOf("nginx", connections, (r) => r.throughput);
    const cpuRatio =
      medianOf("builtin", connections, (r) => r.cpu.proxy) /
      medianOf("nginx", connections, (r) => r.cpu.proxy);
    const throughputPass = ratio >= GOAL_THROUGHPUT_RATIO;
    const cpuPass = cpuRatio <= GOAL_CPU_RATIO;
    passed &&= throughputPass && cpuPass;
    lines.push(
      `${throughputPass ? "PASS" : "FAIL"} throughput at ${connections} connections: builtin ${times(ratio)} nginx (goal ≥ ${GOAL_THROUGHPUT_RATIO}×)`,
      `${cpuPass ? "PASS" : "FAIL"} CPU per request at ${connections} connections: builtin ${times(cpuRatio)} nginx (goal ≤ ${GOAL_CPU_RATIO}×)`,
    );
  }
  const rateReached = ["direct", "builtin"].every((t) => lat(t, "rate") >= 0.95 * s.fixedRate);
  const latencyPass = rateReached && added("builtin", "p99") <= GOAL_ADDED_P99_MS;
  passed &&= latencyPass;
  lines.push(
    `${latencyPass ? "PASS" : "FAIL"} latency: builtin adds ${signed(added("builtin", "p99"))} ms p99 at ${s.fixedRate} req/s ` +
      `(nginx ${signed(added("nginx", "p99"))} ms; goal ≤ ${GOAL_ADDED_P99_MS} ms${rateReached ? "" : "; rate not reached"})`,
  );
  const timeouts = (target) =>
    s.connections.reduce(
      (sum, c) => sum + closed[target][c].reduce((n, run) => n + (run.timeouts ?? 0), 0),
      0,
    );
  if (timeouts("builtin") + timeouts("nginx") + timeouts("direct") > 0) {
    lines.push(
      `WARNING: requests over wrk's 2 s timeout: builtin ${timeouts("builtin")}, ` +
        `nginx ${timeouts("nginx")}, direct ${timeouts("direct")}`,
    );
  }
  if (Math.max(s.loadBefore[0], s.loadAfter[0]) > cpu.length) {
    lines.push(
      `WARNING: the machine was busy (load average above its ${cpu.length} cores): the proxies, the upstream and ` +
        "the load tools waited for CPU, so the figures are not the proxies' own",
    );
  }
  lines.push(`(${fixed((performance.now() - s.startedAt) / 1000)}s in all)`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return passed;
}
