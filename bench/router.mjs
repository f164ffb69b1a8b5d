// The builtin router's cost, measured against its anchor (the same upstream hit directly) in the same run.
// Usage: npm run bench:router   (or, after `npm run build`: node bench/router.mjs [--cpu-prof DIR])
//
// Processes, all on 127.0.0.1: one or two upstream servers (bench/upstream-server.mjs), the router daemon
// (dist/routers/builtin/daemon.js, configured through its admin API), and for every measurement a fresh
// load client (bench/load-client.mjs) so the load shares no thread with what it measures. Targets run in
// turn (direct, router 100%, router 90/10, then again) for ROUNDS rounds, and medians are reported. The 90/10
// split is measured in closed loop only, to keep the whole run under two minutes.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, platform } from "node:os";
import { fileURLToPath } from "node:url";

const ROUNDS = 3;
const WARMUP_MS = 1000;
const MEASURE_MS = 5000;
const CONCURRENCY = 32;
const FIXED_RATE_PER_SECOND = 1000;
/** Everything is killed and the run fails if it takes longer than this. */
const HARD_LIMIT_MS = 115_000;
const HOST = "127.0.0.1";

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const UPSTREAM_SCRIPT = here("./upstream-server.mjs");
const CLIENT_SCRIPT = here("./load-client.mjs");
const DAEMON_SCRIPT = here("../dist/routers/builtin/daemon.js");

const children = new Set();

function killAll(signal = "SIGKILL") {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}
process.on("exit", () => killAll());
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}
setTimeout(() => {
  process.stderr.write(`bench/router: still running after ${HARD_LIMIT_MS / 1000}s, giving up\n`);
  killAll();
  process.exit(1);
}, HARD_LIMIT_MS).unref();

function start(args, env = process.env, stderr = "inherit") {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", stderr], env });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Resolves with the first stdout line of `child`, parsed as JSON. */
function firstJsonLine(child, what, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`${what}: no output within ${timeoutMs}ms`)), timeoutMs);
    const onData = (chunk) => {
      buffered += chunk.toString("utf8");
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.off("exit", onExit);
      try {
        resolve(JSON.parse(buffered.slice(0, newline)));
      } catch {
        reject(new Error(`${what}: unexpected output ${buffered.slice(0, 200)}`));
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited early (code ${code}, signal ${signal})`));
    };
    child.stdout.on("data", onData);
    child.once("exit", onExit);
  });
}

async function startUpstream(version) {
  const child = start([UPSTREAM_SCRIPT, version]);
  const { port } = await firstJsonLine(child, `upstream ${version}`, 10_000);
  return { version, port, pid: child.pid, endpoint: { id: `${version}-1`, host: HOST, port } };
}

async function startRouter(cpuProfileDir) {
  const token = randomBytes(24).toString("hex");
  const profile = cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfileDir] : [];
  const args = [...profile, DAEMON_SCRIPT, "--host", HOST, "--port", "0", "--name", "bench"];
  // The daemon logs JSON lines on stderr; they are kept and shown only if the benchmark fails.
  const child = start(args, { ...process.env, TANDEM_ROUTER_TOKEN: token }, "pipe");
  let log = "";
  child.stderr.on("data", (chunk) => {
    log = (log + chunk.toString("utf8")).slice(-4000);
  });
  const ready = await firstJsonLine(child, "router daemon", 10_000);
  if (ready.ready !== true) throw new Error(`router daemon did not start: ${JSON.stringify(ready)}`);
  return { child, token, listenPort: ready.listenPort, adminPort: ready.adminPort, log: () => log };
}

async function applyRoutes(router, backends) {
  const response = await fetch(`http://${HOST}:${router.adminPort}/routes`, {
    method: "PUT",
    headers: { authorization: `Bearer ${router.token}`, "content-type": "application/json" },
    body: JSON.stringify({ backends }),
  });
  if (!response.ok) throw new Error(`PUT /routes: ${response.status} ${await response.text()}`);
}

/** CPU time (user + system) a process has used so far, in microseconds; NaN where /proc is not there. */
function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
  } catch {
    return 100;
  }
})();

/** Runs one load client against `url`; `watched` maps names to pids whose CPU time per request is measured. */
async function measure(url, withFixedRate, watched) {
  const plan = {
    url,
    warmupMs: WARMUP_MS,
    closedMs: MEASURE_MS,
    concurrency: CONCURRENCY,
    rateMs: withFixedRate ? MEASURE_MS : 0,
    ratePerSecond: FIXED_RATE_PER_SECOND,
  };
  const cpuBefore = Object.entries(watched).map(([name, pid]) => [name, pid, cpuMicros(pid)]);
  const child = start([CLIENT_SCRIPT, JSON.stringify(plan)]);
  const result = await firstJsonLine(child, "load client", WARMUP_MS + 2 * MEASURE_MS + 10_000);
  for (const [phase, report] of Object.entries(result)) {
    if (report && (report.failed > 0 || report.rejected > 0)) {
      throw new Error(
        `${url} ${phase}: ${report.failed} failed, ${report.rejected} rejected: ${JSON.stringify(report.failures)}`,
      );
    }
  }
  const { warmup, closed, rate } = result;
  const requests = warmup.sent + closed.sent + (rate?.sent ?? 0);
  const cpuPerRequest = {};
  for (const [name, pid, before] of cpuBefore) cpuPerRequest[name] = (cpuMicros(pid) - before) / requests;
  return {
    cpuPerRequest,
    throughput: closed.ok / (closed.elapsedMs / 1000),
    closedP99: closed.latencyMs.p99,
    rateAchieved: rate ? rate.ok / (rate.elapsedMs / 1000) : Number.NaN,
    p50: rate ? rate.latencyMs.p50 : Number.NaN,
    p99: rate ? rate.latencyMs.p99 : Number.NaN,
    versions: mergeCounts(closed.versions, rate?.versions ?? {}),
  };
}

function mergeCounts(a, b) {
  const merged = { ...a };
  for (const [key, count] of Object.entries(b)) merged[key] = (merged[key] ?? 0) + count;
  return merged;
}

async function stopRouter(router) {
  if (router.child.exitCode !== null) return;
  const exited = new Promise((resolve) => router.child.once("exit", resolve));
  router.child.kill("SIGTERM"); // a clean exit, so a --cpu-prof profile gets written
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const fixed = (value, digits = 1) => (Number.isNaN(value) ? "-" : value.toFixed(digits));
const signed = (value) => `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;

function summarize(name, runs) {
  return {
    name,
    throughput: median(runs.map((r) => r.throughput)),
    closedP99: median(runs.map((r) => r.closedP99)),
    rateAchieved: median(runs.map((r) => r.rateAchieved)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    versions: runs.map((r) => r.versions).reduce(mergeCounts, {}),
    routerCpu: median(runs.map((r) => r.cpuPerRequest.router ?? Number.NaN)),
    upstreamCpu: median(runs.map((r) => r.cpuPerRequest.upstream ?? Number.NaN)),
  };
}

function report(rows, startedAt) {
  const [direct, ...routed] = rows;
  const cpu = cpus();
  const lines = [
    `Tandem builtin router vs. direct upstream — ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ` +
      `node ${process.version}, ${platform()}`,
    `medians of ${ROUNDS} alternating rounds; closed loop: ${CONCURRENCY} concurrent for ${MEASURE_MS / 1000}s ` +
      `after ${WARMUP_MS / 1000}s warm-up; fixed rate: ${FIXED_RATE_PER_SECOND} req/s for ${MEASURE_MS / 1000}s`,
    "",
    "                    closed loop         |  fixed rate                  | CPU µs per request",
    "target           req/s  p99 ms        |  req/s  p50 ms  p99 ms       | router  upstream",
  ];
  for (const row of rows) {
    lines.push(
      `${row.name.padEnd(14)} ${fixed(row.throughput, 0).padStart(7)}  ${fixed(row.closedP99).padStart(6)}        |` +
        ` ${fixed(row.rateAchieved, 0).padStart(6)}  ${fixed(row.p50).padStart(6)}  ${fixed(row.p99).padStart(6)}       |` +
        ` ${fixed(row.routerCpu, 0).padStart(6)}  ${fixed(row.upstreamCpu, 0).padStart(8)}`,
    );
  }
  lines.push("");
  for (const row of routed) {
    const added = Number.isNaN(row.p50)
      ? ""
      : `; adds p50 ${signed(row.p50 - direct.p50)} ms, p99 ${signed(row.p99 - direct.p99)} ms ` +
        `at ${FIXED_RATE_PER_SECOND} req/s`;
    lines.push(`${row.name}: throughput ${fixed(row.throughput / direct.throughput, 2)}× direct${added}`);
  }
  const split = routed.find((row) => row.name.includes("90/10"));
  if (split) {
    const total = Object.values(split.versions).reduce((a, b) => a + b, 0);
    const shares = Object.entries(split.versions).map(([v, n]) => `${v} ${fixed((100 * n) / total)}%`);
    lines.push(`90/10 split observed: ${shares.join(", ")} of ${total} responses`);
  }
  lines.push(`(${fixed((performance.now() - startedAt) / 1000)}s in all)`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function main() {
  const startedAt = performance.now();
  const profileFlag = process.argv.indexOf("--cpu-prof");
  const cpuProfileDir = profileFlag >= 0 ? process.argv[profileFlag + 1] : undefined;
  const [stable, canary] = await Promise.all([startUpstream("stable"), startUpstream("canary")]);
  const router = await startRouter(cpuProfileDir);
  try {
    const routerUrl = `http://${HOST}:${router.listenPort}/`;
    const targets = [
      {
        name: "direct",
        url: `http://${HOST}:${stable.port}/`,
        withFixedRate: true,
        watched: { upstream: stable.pid },
        routes: undefined,
      },
      {
        name: "router 100%",
        url: routerUrl,
        withFixedRate: true,
        watched: { router: router.child.pid, upstream: stable.pid },
        routes: [{ version: "stable", weight: 100, endpoints: [stable.endpoint] }],
      },
      {
        name: "router 90/10",
        url: routerUrl,
        withFixedRate: false,
        watched: { router: router.child.pid },
        routes: [
          { version: "stable", weight: 90, endpoints: [stable.endpoint] },
          { version: "canary", weight: 10, endpoints: [canary.endpoint] },
        ],
      },
    ];
    const runs = new Map(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets) {
        if (target.routes) await applyRoutes(router, target.routes);
        runs.get(target.name).push(await measure(target.url, target.withFixedRate, target.watched));
      }
    }
    report(
      targets.map((t) => summarize(t.name, runs.get(t.name))),
      startedAt,
    );
  } catch (error) {
    process.stderr.write(`router daemon log (last lines):\n${router.log()}\n`);
    throw error;
  } finally {
    await stopRouter(router);
    killAll();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench/router failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    killAll();
    process.exit(1);
  },
);
