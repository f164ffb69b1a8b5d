// The builtin router's throughput, CPU per request and added latency, measured with standard C load tools
// against nginx proxying to the same upstream, and both against the upstream hit directly, in one run.
// Usage: npm run bench:router   (or, after `npm run build`: node bench/router.mjs [--quick]
//        [--cpu-prof DIR])
//
// Processes, all on 127.0.0.1:
// - the upstream: Debian's nginx answering every request with 200 and a fixed 30-byte JSON body from memory
//   (bench/nginx.mjs startNginxUpstream), with as many workers as the machine has cores, so that it is
//   not the bottleneck (a Node upstream was);
// - the builtin router daemon (dist/routers/builtin/daemon.js, one process), configured through its admin API
//   to send 100% to the upstream;
// - nginx as the reference proxy (bench/nginx.mjs startNginx, worker_processes N), upstream keep-alive on;
// - the load: wrk (Debian's, test/support/ensure-wrk.sh) for closed-loop throughput at 1, 32 and 256
//   connections, and h2load (Debian's nghttp2-client, test/support/ensure-h2load.sh) for the latency at a
//   fixed 1,000 requests/s (`--h1 --rps`, every request's latency from its `--log-file`): wrk cannot hold a
//   fixed rate and wrk2 is not in Debian.
// Both proxies get one worker: one event loop each (the bench states it). On a machine with 2 or more cores,
// every process is pinned with taskset (util-linux; `--no-pin` turns it off): each proxy gets core 0 of its
// own (the router daemon with all its threads; nginx, master and worker), and wrk, h2load and the upstream
// share the other cores, the same for both proxies. Unpinned, the proxy, the upstream and wrk fought for
// the same two cores and the figures moved by ±20% from round to round. The bench prints how busy the
// proxy's core and the load cores were, so that a load side at 100% (which would cap both proxies alike)
// shows.
// Targets alternate in every round (the order rotates), for ROUNDS rounds; medians are reported, and every
// figure is printed as a ratio against nginx measured in the same run. CPU per request is the utime+stime of
// the proxy's processes (master and workers) from /proc/PID/stat over the requests wrk counted.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childrenOf, nginxBinary, pinned, startNginx, startNginxUpstream } from "./nginx.mjs";
import { report } from "./router-report.mjs";

const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const QUICK = args.includes("--quick");
/** One event loop for the builtin router; nginx gets the same one worker. */
const WORKERS = 1;
const ROUNDS = QUICK ? 1 : 3;
const MEASURE_S = QUICK ? 2 : 4;
const WARMUP_S = 1;
const CONNECTIONS = [1, 32, 256];
const FIXED_RATE = 1000;
/** h2load clients sharing the fixed rate (each sends FIXED_RATE / RATE_CLIENTS requests per second). */
const RATE_CLIENTS = 10;
const RATE_S = QUICK ? 2 : 4;
/** Everything is killed and the run fails if it takes longer than this. */
const HARD_LIMIT_MS = 420_000;
const HOST = "127.0.0.1";
const CORES = cpus().length;
const PIN = !args.includes("--no-pin") && CORES >= 2 && spawnSync("taskset", ["-V"]).status === 0;
/** The proxies' core (one worker, one core, each in its turn) and the load side's (wrk, h2load, upstream). */
const PROXY_CPUS = PIN ? "0" : undefined;
const LOAD_CPUS = PIN ? (CORES === 2 ? "1" : `1-${CORES - 1}`) : undefined;
const LOAD_CORES = PIN ? CORES - 1 : CORES;
const wrkThreads = (connections) => Math.min(connections, LOAD_CORES);

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const DAEMON_SCRIPT = here("../dist/routers/builtin/daemon.js");

const children = new Set();
const nginxes = new Set();
const scratch = mkdtempSync(join(tmpdir(), "tandem-bench-router-"));

function killAll(signal = "SIGKILL") {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, signal); // the router daemon runs in its own group, with its workers
      } catch {
        child.kill(signal);
      }
    }
  }
  for (const nginx of nginxes) nginx.kill();
  rmSync(scratch, { recursive: true, force: true });
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

function ensure(script, what) {
  try {
    const out = execFileSync("sh", [here(`../test/support/${script}`)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return out.trim().split("\n").pop();
  } catch (error) {
    throw new Error(`${what} is needed and is missing: ${error.stderr?.toString().trim() || error.message}`);
  }
}

/** Runs a program to its end; resolves with its stdout, rejects with its stderr on a non-zero exit. */
function run(program, argv, timeoutMs, cpus = undefined) {
  return new Promise((resolve, reject) => {
    const child = spawn(...pinned(cpus, program, argv), { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${program} ${argv.join(" ")}: exit ${code ?? signal}: ${stderr}${stdout}`));
    });
  });
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

async function startRouter(cpuProfileDir) {
  const token = randomBytes(24).toString("hex");
  const profile = cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfileDir] : [];
  const argv = [...profile, DAEMON_SCRIPT, "--host", HOST, "--port", "0", "--name", "bench"];
  // The daemon logs JSON lines on stderr; they are kept and shown only if the benchmark fails.
  const child = spawn(...pinned(PROXY_CPUS, process.execPath, argv), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TANDEM_ROUTER_TOKEN: token },
    detached: true,
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let log = "";
  // Which data plane the daemon uses (native addon or JS fast path), from its first log line.
  let dataPlane = "unknown";
  child.stderr.on("data", (chunk) => {
    const text = chunk.toString("utf8");
    const line = /\{[^\n]*"message":"router data plane"[^\n]*\}/.exec(text);
    if (line) {
      const { path, reason } = JSON.parse(line[0]);
      dataPlane = `${path} (${reason})`;
    }
    log = (log + text).slice(-4000);
  });
  const ready = await firstJsonLine(child, "router daemon", 15_000);
  if (ready.ready !== true) throw new Error(`router daemon did not start: ${JSON.stringify(ready)}`);
  return {
    child,
    token,
    listenPort: ready.listenPort,
    adminPort: ready.adminPort,
    // The primary and its workers (a single-process daemon has none).
    pids: () => [child.pid, ...childrenOf(child.pid)],
    log: () => log,
    dataPlane: () => dataPlane,
  };
}

async function applyRoutes(router, backends) {
  const response = await fetch(`http://${HOST}:${router.adminPort}/routes`, {
    method: "PUT",
    headers: { authorization: `Bearer ${router.token}`, "content-type": "application/json" },
    body: JSON.stringify({ backends }),
  });
  if (!response.ok) throw new Error(`PUT /routes: ${response.status} ${await response.text()}`);
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (utime + stime) the processes have used so far, in microseconds; NaN where /proc is not there. */
function cpuMicros(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
    } catch {
      return Number.NaN;
    }
  }
  return total;
}

const WRK_SCRIPT = join(scratch, "report.lua");
writeFileSync(
  WRK_SCRIPT,
  `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`,
);

/** Busy and total jiffies of the load side's cores from /proc/stat (all cores when not pinned). */
function loadCoreTicks() {
  let busy = 0;
  let total = 0;
  try {
    for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
      const match = /^cpu(\d+) (.*)$/.exec(line);
      if (!match || (PIN && Number(match[1]) === 0)) continue;
      const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2].split(" ").map(Number);
      busy += user + nice + system + irq + softirq + steal;
      total += user + nice + system + idle + iowait + irq + softirq + steal;
    }
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
  return { busy, total };
}

/**
 * One closed-loop wrk run; `watched` maps names to functions giving the pids whose CPU is counted. Also
 * gives how busy the proxy was (its CPU time over the run's wall time: 1 is its whole core) and the load
 * side's cores (from /proc/stat, whatever ran there).
 */
async function wrk(binary, url, connections, seconds, watched = {}) {
  const threads = wrkThreads(connections);
  const before = Object.entries(watched).map(([name, pids]) => [name, pids, cpuMicros(pids())]);
  const loadBefore = loadCoreTicks();
  const startedAt = performance.now();
  const argv = ["-t", String(threads), "-c", String(connections), "-d", `${seconds}s`];
  const out = await run(binary, [...argv, "-s", WRK_SCRIPT, url], (seconds + 15) * 1000, LOAD_CPUS);
  const wallUs = (performance.now() - startedAt) * 1000;
  const loadAfter = loadCoreTicks();
  const line = out.split("\n").find((l) => l.startsWith("BENCH "));
  if (!line) throw new Error(`wrk printed no summary: ${out}`);
  const result = JSON.parse(line.slice("BENCH ".length));
  // A request that took over wrk's 2 s timeout is counted and printed (on a loaded machine a proxy starved
  // of CPU has a few); a failed one fails the run.
  const errors = result.connect + result.read + result.write + result.status;
  if (errors > 0) throw new Error(`${url} at ${connections} connections: errors ${line}`);
  const cpu = {};
  const busy = {};
  for (const [name, pids, cpuBefore] of before) {
    const used = cpuMicros(pids()) - cpuBefore;
    cpu[name] = used / result.requests;
    busy[name] = used / wallUs;
  }
  busy.loadCores = (loadAfter.busy - loadBefore.busy) / (loadAfter.total - loadBefore.total);
  return {
    throughput: result.requests / (result.durationUs / 1e6),
    requests: result.requests,
    timeouts: result.timeout,
    cpu,
    busy,
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Latency at a fixed rate with h2load (HTTP/1.1, RATE_CLIENTS connections, each at its share of the rate). */
async function fixedRate(binary, url) {
  const logFile = join(scratch, `h2load-${randomBytes(4).toString("hex")}.log`);
  const argv = ["--h1", "-t", "1", "-c", String(RATE_CLIENTS), "--rps", String(FIXED_RATE / RATE_CLIENTS)];
  argv.push("-D", String(RATE_S), "--warm-up-time", String(WARMUP_S), "--log-file", logFile, url);
  await run(binary, argv, (RATE_S + WARMUP_S + 15) * 1000, LOAD_CPUS);
  const rows = readFileSync(logFile, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t").map(Number));
  rmSync(logFile, { force: true });
  const failed = rows.filter(([, status]) => status !== 200).length;
  if (failed > 0)
    throw new Error(`${url} at ${FIXED_RATE} req/s: ${failed} of ${rows.length} responses not 200`);
  const latenciesMs = rows.map(([, , micros]) => micros / 1000).sort((a, b) => a - b);
  const startsUs = rows.map(([start]) => start);
  const spanS = (Math.max(...startsUs) - Math.min(...startsUs)) / 1e6;
  return {
    rate: rows.length / Math.max(spanS, 1e-3),
    p50: percentile(latenciesMs, 50),
    p99: percentile(latenciesMs, 99),
  };
}

async function stopRouter(router) {
  if (router.child.exitCode !== null) return;
  const exited = new Promise((resolve) => router.child.once("exit", resolve));
  router.child.kill("SIGTERM"); // a clean exit, so a --cpu-prof profile gets written
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

function version(binary, argv, pattern) {
  const out = spawnSync(binary, argv, { encoding: "utf8" });
  return (`${out.stdout}${out.stderr}`.match(pattern) ?? [])[1] ?? "?";
}

async function main() {
  const startedAt = performance.now();
  const cpuProfileDir = option("--cpu-prof");
  const loadBefore = loadavg();
  const nginx = nginxBinary();
  const wrkBinary = ensure("ensure-wrk.sh", "wrk");
  const h2load = ensure("ensure-h2load.sh", "h2load");
  const upstreamWorkers = LOAD_CORES;
  const upstream = await startNginxUpstream({
    binary: nginx,
    host: HOST,
    workers: upstreamWorkers,
    cpus: LOAD_CPUS,
  });
  nginxes.add(upstream);
  const router = await startRouter(cpuProfileDir);
  const proxyNginx = await startNginx({
    binary: nginx,
    host: HOST,
    workers: WORKERS,
    stablePort: upstream.port,
    canaryPort: upstream.port,
    cpus: PROXY_CPUS,
  });
  nginxes.add(proxyNginx);
  try {
    await applyRoutes(router, [
      { version: "stable", weight: 100, endpoints: [{ id: "stable-1", host: HOST, port: upstream.port }] },
    ]);
    const targets = [
      { name: "direct", url: upstream.url, watched: { upstream: upstream.pids } },
      {
        name: "builtin",
        url: `http://${HOST}:${router.listenPort}/`,
        watched: { proxy: router.pids, upstream: upstream.pids },
      },
      { name: "nginx", url: proxyNginx.allUrl, watched: { proxy: proxyNginx.pids, upstream: upstream.pids } },
    ];
    for (const target of targets) {
      for (const connections of CONNECTIONS) await wrk(wrkBinary, target.url, connections, WARMUP_S);
    }
    const closed = Object.fromEntries(
      targets.map((t) => [t.name, Object.fromEntries(CONNECTIONS.map((c) => [c, []]))]),
    );
    const latency = Object.fromEntries(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const connections of CONNECTIONS) {
        for (const target of order) {
          const result = await wrk(wrkBinary, target.url, connections, MEASURE_S, target.watched);
          closed[target.name][connections].push(result);
        }
      }
      for (const target of order) latency[target.name].push(await fixedRate(h2load, target.url));
    }
    process.stdout.write(`builtin router data plane: ${router.dataPlane()}\n`);
    const passed = report({
      closed,
      latency,
      settings: {
        rounds: ROUNDS,
        connections: CONNECTIONS,
        measureS: MEASURE_S,
        rateS: RATE_S,
        warmupS: WARMUP_S,
        fixedRate: FIXED_RATE,
        rateClients: RATE_CLIENTS,
        workers: WORKERS,
        upstreamWorkers,
        wrkThreads,
        pin: PIN ? { proxy: PROXY_CPUS, load: LOAD_CPUS } : undefined,
        nginxVersion: version(nginx, ["-v"], /nginx\/(\S+)/),
        wrkVersion: version(wrkBinary, ["-v"], /wrk (\S+)/),
        h2loadVersion: version(h2load, ["--version"], /nghttp2\/(\S+)/),
        loadBefore,
        loadAfter: loadavg(),
        startedAt,
      },
    });
    // A FAIL is a figure of the run, printed, not a failure of the bench.
    void passed;
  } catch (error) {
    process.stderr.write(`router daemon log (last lines):\n${router.log()}\n`);
    process.stderr.write(`nginx error log (last lines):\n${proxyNginx.errorLog()}\n`);
    throw error;
  } finally {
    await stopRouter(router);
    await Promise.all([proxyNginx.stop(), upstream.stop()]);
    killAll();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    process.stderr.write(`bench/router failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    killAll();
    process.exit(1);
  },
);
