// The builtin router's cost, measured against nginx proxying to the same upstream and against its anchor
// (the same upstream hit directly), all in the same run, with the same load tool.
// Usage: npm run bench:router   (or, after `npm run build`: node bench/router.mjs [--cpu-prof DIR])
//
// Processes, all on 127.0.0.1: two upstream servers (bench/upstream-server.mjs), the router daemon
// (dist/routers/builtin/daemon.js, configured through its admin API), two nginx instances (bench/nginx.mjs:
// one with worker_processes 1, one with auto), and for every measurement a fresh load client
// (bench/load-client.mjs) so the load shares no thread with what it measures. Targets run in turn (direct,
// builtin 100%, nginx 100%, builtin 90/10, nginx 90/10, nginx auto 100%, then again) for ROUNDS rounds, and
// medians are reported. The 90/10 splits and nginx auto are measured in closed loop only, to keep the whole
// run under three minutes.
//
// nginx with ONE worker is the fair comparison: the builtin router is one Node.js thread, and one nginx
// worker is one event loop on one core too; `auto` (a worker per core) is shown as well, for what nginx does
// when it may use every core (on a 2-core machine it then competes with the upstream and the load client).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { nginxBinary, startNginx } from "./nginx.mjs";
import { mergeCounts, report, summarize } from "./router-report.mjs";

const ROUNDS = 3;
const WARMUP_MS = 1000;
const MEASURE_MS = 5000;
const CONCURRENCY = 32;
const FIXED_RATE_PER_SECOND = 1000;
/** Everything is killed and the run fails if it takes longer than this. */
const HARD_LIMIT_MS = 200_000;
const HOST = "127.0.0.1";

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const UPSTREAM_SCRIPT = here("./upstream-server.mjs");
const CLIENT_SCRIPT = here("./load-client.mjs");
const DAEMON_SCRIPT = here("../dist/routers/builtin/daemon.js");

const children = new Set();
/** nginx instances: each runs in its own process group, killed as a whole. */
const nginxes = new Set();

function killAll(signal = "SIGKILL") {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
  for (const nginx of nginxes) nginx.kill();
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

/** Runs one load client against `url`; `watched` maps names to functions giving the pids whose CPU time is counted. */
async function measure(url, withFixedRate, watched) {
  const plan = {
    url,
    warmupMs: WARMUP_MS,
    closedMs: MEASURE_MS,
    concurrency: CONCURRENCY,
    rateMs: withFixedRate ? MEASURE_MS : 0,
    ratePerSecond: FIXED_RATE_PER_SECOND,
  };
  const cpuOf = (pids) => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const cpuBefore = Object.entries(watched).map(([name, pids]) => [name, pids, cpuOf(pids())]);
  const child = start([CLIENT_SCRIPT, JSON.stringify(plan)]);
  const result = await firstJsonLine(child, "load client", WARMUP_MS + 2 * MEASURE_MS + 10_000);
  const { warmup, closed, rate, cpuMicros: clientMicros } = result;
  for (const [phase, report] of Object.entries({ warmup, closed, rate })) {
    if (report && (report.failed > 0 || report.rejected > 0)) {
      throw new Error(
        `${url} ${phase}: ${report.failed} failed, ${report.rejected} rejected: ${JSON.stringify(report.failures)}`,
      );
    }
  }
  const requests = warmup.sent + closed.sent + (rate?.sent ?? 0);
  const cpuPerRequest = { client: clientMicros / requests };
  for (const [name, pids, before] of cpuBefore) cpuPerRequest[name] = (cpuOf(pids()) - before) / requests;
  const throughput = closed.ok / (closed.elapsedMs / 1000);
  return {
    cpuPerRequest,
    throughput,
    // The share of one core the load client used at the closed loop's throughput: near 100%, it is the bottleneck.
    clientBusy: (cpuPerRequest.client * throughput) / 1e6,
    closedP99: closed.latencyMs.p99,
    rateAchieved: rate ? rate.ok / (rate.elapsedMs / 1000) : Number.NaN,
    p50: rate ? rate.latencyMs.p50 : Number.NaN,
    p99: rate ? rate.latencyMs.p99 : Number.NaN,
    versions: mergeCounts(closed.versions, rate?.versions ?? {}),
  };
}

async function stopRouter(router) {
  if (router.child.exitCode !== null) return;
  const exited = new Promise((resolve) => router.child.once("exit", resolve));
  router.child.kill("SIGTERM"); // a clean exit, so a --cpu-prof profile gets written
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

function nginxVersion(binary) {
  try {
    // nginx -v prints "nginx version: nginx/1.22.1" on stderr.
    const out = spawnSync(binary, ["-v"], { encoding: "utf8" });
    return (out.stderr || out.stdout).trim().replace(/^nginx version: nginx\//, "");
  } catch {
    return "?";
  }
}

async function main() {
  const startedAt = performance.now();
  const profileFlag = process.argv.indexOf("--cpu-prof");
  const cpuProfileDir = profileFlag >= 0 ? process.argv[profileFlag + 1] : undefined;
  const load = loadavg();
  const loadBefore = load.map((l) => l.toFixed(2)).join(" ");
  const binary = nginxBinary();
  const [stable, canary] = await Promise.all([startUpstream("stable"), startUpstream("canary")]);
  const router = await startRouter(cpuProfileDir);
  const nginxOptions = { binary, host: HOST, stablePort: stable.port, canaryPort: canary.port };
  const nginx = await startNginx({ ...nginxOptions, workers: 1 });
  nginxes.add(nginx);
  const nginxAuto = await startNginx({ ...nginxOptions, workers: "auto" });
  nginxes.add(nginxAuto);
  try {
    const routerUrl = `http://${HOST}:${router.listenPort}/`;
    const upstream = () => [stable.pid];
    const routerPids = () => [router.child.pid];
    const oneToOne = [{ version: "stable", weight: 100, endpoints: [stable.endpoint] }];
    const ninetyTen = [
      { version: "stable", weight: 90, endpoints: [stable.endpoint] },
      { version: "canary", weight: 10, endpoints: [canary.endpoint] },
    ];
    // The 90/10 rows and nginx with `auto` workers are measured in closed loop only, to bound the run.
    const targets = [
      { name: "direct", url: `http://${HOST}:${stable.port}/`, withFixedRate: true, watched: { upstream } },
      {
        name: "builtin 100%",
        url: routerUrl,
        withFixedRate: true,
        watched: { proxy: routerPids, upstream },
        routes: oneToOne,
      },
      {
        name: "nginx 100%",
        url: nginx.allUrl,
        withFixedRate: true,
        watched: { proxy: nginx.pids, upstream },
      },
      {
        name: "builtin 90/10",
        url: routerUrl,
        withFixedRate: false,
        watched: { proxy: routerPids },
        routes: ninetyTen,
      },
      { name: "nginx 90/10", url: nginx.splitUrl, withFixedRate: false, watched: { proxy: nginx.pids } },
      {
        name: "nginx auto 100%",
        url: nginxAuto.allUrl,
        withFixedRate: false,
        watched: { proxy: nginxAuto.pids, upstream },
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
      targets.map((t) => summarize(t, runs.get(t.name))),
      {
        rounds: ROUNDS,
        concurrency: CONCURRENCY,
        measureMs: MEASURE_MS,
        warmupMs: WARMUP_MS,
        ratePerSecond: FIXED_RATE_PER_SECOND,
        nginxAutoWorkers: nginxAuto.workerCount(),
        nginxVersion: nginxVersion(binary),
        loadBefore,
        // More runnable processes than cores in the last minute: others compete with what is measured.
        busy: load[0] > cpus().length,
      },
      startedAt,
    );
  } catch (error) {
    process.stderr.write(`router daemon log (last lines):\n${router.log()}\n`);
    process.stderr.write(`nginx error log (last lines):\n${nginx.errorLog()}\n`);
    throw error;
  } finally {
    await stopRouter(router);
    await Promise.all([nginx.stop(), nginxAuto.stop()]);
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
