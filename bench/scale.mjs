// Control-plane scale: the real engine and SQLite store, in virtual time on the sim target.
// Usage: npm run bench:scale   (or, after `npm run build`: node bench/scale.mjs [--n 100,1000,10000] [--shape one,many])
//
// For each N, two shapes of N concurrent rollouts, each in a fresh store and process state:
//   one  — one release of N services;
//   many — N releases of one service each.
// Each (shape, N) runs in its own node process, so its RSS is its own and not the largest earlier run's.
// RSS is the process's peak (VmHWM, Linux), the figure the goal is judged on; the RSS at the end is shown
// beside it (lower when a full GC ran just before).
// Every service: a canary (setWeight 50, pause 5 s) on the sim target (1 replica, startupTime 2 s, the
// sim's default probe), behind its own in-memory router; one engine, a manual clock, a pass per active
// release then PASS_INTERVAL_MS of virtual time (the way `Engine.run` drives them), until all end.
// Printed per run: time to create, pass p50/p99 (one reconcileOnce), total virtual and wall time, RSS
// (peak) and store size; then the growth law over N (exponent of a log-log least-squares fit) and the goals.
// The anchor is the smallest N of the same run: times are also printed as ratios to it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../dist/core/clock.js";
import { isTerminal } from "../dist/core/types.js";
import { createRelease } from "../dist/engine/create-release.js";
import { Engine } from "../dist/engine/engine.js";
import { createMonitor } from "../dist/engine/plugins.js";
import { SqliteStore } from "../dist/store/sqlite.js";
import { createTarget } from "../dist/targets/index.js";
import { resetSimInstances } from "../dist/targets/sim.js";
import { FakeHookRunner } from "../dist/testing/fake-hooks.js";
import { MemoryRouter } from "../dist/testing/memory-router.js";

const PASS_INTERVAL_MS = 1_000;
/** Bound: rounds of passes (each rollout needs about 10 virtual seconds). */
const MAX_ROUNDS = 120;
/** TANDEM_BENCH_VERBOSE=1: every pass's time (wall and CPU) on stderr. */
const VERBOSE = process.env.TANDEM_BENCH_VERBOSE === "1";
const GOALS = { passP99Ms: 1_000, createMs: 10_000, rssMb: 500 };

function serviceConfig(name) {
  return {
    name,
    target: { type: "sim", replicas: 1, startupTime: 2_000, unhealthyVersions: [] },
    router: {
      type: "builtin",
      listen: 20_000,
      host: "127.0.0.1",
      holdTimeout: 30_000,
      holdMaxRequests: 1000,
    },
    health: [],
    strategy: {
      type: "canary",
      steps: [{ setWeight: 50 }, { pause: { duration: 5_000 } }],
      progressDeadline: 60_000,
    },
    dependsOn: [],
    hooks: { pre: [], post: [] },
    pauseTimeout: 3_600_000,
  };
}

function harness(n) {
  resetSimInstances();
  const dir = mkdtempSync(join(tmpdir(), "tandem-bench-scale-"));
  const clock = new ManualClock();
  const file = join(dir, "tandem.db");
  const store = new SqliteStore(file);
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(5, "0")}`);
  const configs = Object.fromEntries(names.map((name) => [name, serviceConfig(name)]));
  const config = {
    project: "bench",
    file: join(dir, "tandem.yaml"),
    baseDir: dir,
    stateDir: dir,
    store: { type: "sqlite", path: file },
    environments: {
      staging: { name: "staging", freeze: [], hooks: { pre: [], post: [] }, services: configs },
    },
    services: configs,
    rollbackPolicy: "release",
    hooks: { pre: [], post: [] },
  };
  const routers = new Map();
  const hooks = new FakeHookRunner(clock);
  const engine = new Engine({
    store,
    config,
    clock,
    plugins: {
      createTarget,
      createRouter: (_config, context) => {
        if (!routers.has(context.service)) routers.set(context.service, new MemoryRouter());
        return routers.get(context.service);
      },
      createMonitor,
      createHookRunner: () => hooks,
    },
    serviceConfig: (release, name) => config.environments[release.environment].services[name],
    passIntervalMs: PASS_INTERVAL_MS,
  });
  const create = (services, version = "2.0.0") =>
    createRelease(
      {
        environment: "staging",
        services: services.map((service) => ({ service, version })),
        actor: "bench",
      },
      { store, config, now: clock.now(), snapshot: () => ({}) },
    );
  const storeBytes = () =>
    readdirSync(dir)
      .filter((f) => f.startsWith("tandem.db"))
      .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  const close = async () => {
    engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { names, clock, store, engine, create, storeBytes, close };
}

/** Peak resident set size of this process (Linux: VmHWM in /proc/self/status), or undefined elsewhere. */
function peakRssMb() {
  try {
    const line = readFileSync("/proc/self/status", "utf8").match(/^VmHWM:\s+(\d+) kB/m);
    return line ? Number(line[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function run(n, shape) {
  const h = harness(n);
  try {
    await h.store.migrate();
    // Not measured: every service at 1.0.0 (a first release starts it, no canary), so 2.0.0 is a canary.
    await drive(h, [(await h.create(h.names, "1.0.0")).id], []);
    const wallStart = performance.now();
    const virtualStart = h.clock.now();
    const createStart = performance.now();
    const ids =
      shape === "one"
        ? [(await h.create(h.names)).id]
        : await sequential(h.names, async (s) => (await h.create([s])).id);
    const createMs = performance.now() - createStart;
    const passes = [];
    await drive(h, ids, passes);
    passes.sort((a, b) => a - b);
    return {
      n,
      shape,
      createMs,
      passP50: quantile(passes, 0.5),
      passP99: quantile(passes, 0.99),
      passes: passes.length,
      virtualMs: h.clock.now() - virtualStart,
      wallMs: performance.now() - wallStart,
      // The peak (VmHWM): the RSS at the end misses what a full GC gave back before it.
      rssMb: peakRssMb() ?? process.memoryUsage().rss / 2 ** 20,
      endRssMb: process.memoryUsage().rss / 2 ** 20,
      storeMb: h.storeBytes() / 2 ** 20,
    };
  } finally {
    await h.close();
  }
}

/** A pass of every active release, then PASS_INTERVAL_MS of virtual time, until all end; bounded. */
async function drive(h, ids, passes) {
  let active = ids;
  let rounds = 0;
  let failed = 0;
  for (; rounds < MAX_ROUNDS && active.length > 0; rounds++) {
    const still = [];
    for (const id of active) {
      const t = performance.now();
      const cpu = VERBOSE ? process.cpuUsage() : undefined;
      const state = await h.engine.reconcileOnce(id);
      passes.push(performance.now() - t);
      if (VERBOSE) {
        // CPU time (every thread of the process) moves less than wall time on a shared machine.
        const used = process.cpuUsage(cpu);
        const cpuMs = (used.user + used.system) / 1000;
        console.error(
          `pass ${rounds} ${id}: ${(performance.now() - t).toFixed(1)} ms ${state.status} (cpu ${cpuMs.toFixed(0)} ms)`,
        );
      }
      if (!isTerminal(state.status)) still.push(id);
      else if (state.status !== "succeeded") failed++;
    }
    active = still;
    if (active.length > 0) await h.clock.advance(PASS_INTERVAL_MS);
  }
  if (active.length > 0) throw new Error(`${active.length} releases still running after ${rounds} rounds`);
  if (failed > 0) throw new Error(`${failed} releases did not succeed`);
}

async function sequential(items, f) {
  const out = [];
  for (const item of items) out.push(await f(item));
  return out;
}

/** Slope of log(y) over log(x), least squares: y grows as N^slope. */
function exponent(points) {
  const xs = points.map((p) => Math.log(p[0]));
  const ys = points.map((p) => Math.log(Math.max(p[1], 1e-6)));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++)
    [num, den] = [num + (xs[i] - mx) * (ys[i] - my), den + (xs[i] - mx) ** 2];
  return num / den;
}

const ms = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 0)} ms`);

async function main() {
  const flag = process.argv.indexOf("--n");
  const sizes = (flag >= 0 ? process.argv[flag + 1] : "100,1000,10000").split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("--n wants sizes like 100,1000");
  console.log(
    `Tandem control plane at scale: sim target, virtual time, SQLite store — node ${process.version}`,
  );
  console.log(
    `canary (setWeight 50, pause 5 s), 1 replica, startupTime 2 s; pass interval ${PASS_INTERVAL_MS} ms virtual\n`,
  );
  const results = [];
  const shapeFlag = process.argv.indexOf("--shape");
  const shapes = shapeFlag >= 0 ? process.argv[shapeFlag + 1].split(",") : ["one", "many"];
  if (shapes.some((s) => s !== "one" && s !== "many")) throw new Error("--shape wants one, many or one,many");
  for (const shape of shapes) {
    for (const n of sizes) {
      const r = await runInChild(n, shape);
      results.push(r);
      const anchor = results.find((x) => x.shape === shape);
      console.log(
        `${shape === "one" ? "1 release of N" : "N releases of 1"}  N=${String(n).padStart(6)}  ` +
          `create ${ms(r.createMs).padStart(9)} (${(r.createMs / anchor.createMs).toFixed(1)}×)  ` +
          `pass p50 ${ms(r.passP50).padStart(9)} p99 ${ms(r.passP99).padStart(9)} (p99 ${(r.passP99 / anchor.passP99).toFixed(1)}×, ${r.passes} passes)  ` +
          `virtual ${(r.virtualMs / 1000).toFixed(0)} s  wall ${ms(r.wallMs)}  RSS peak ${r.rssMb.toFixed(0)} MB (at end ${r.endRssMb.toFixed(0)})  store ${r.storeMb.toFixed(1)} MB`,
      );
    }
  }
  if (sizes.length >= 2) {
    console.log("\ngrowth over N (log-log slope: 1 = linear, 2 = quadratic)");
    for (const shape of shapes) {
      const rs = results.filter((r) => r.shape === shape);
      const slope = (key) => exponent(rs.map((r) => [r.n, r[key]])).toFixed(2);
      console.log(
        `  ${shape.padEnd(5)} create N^${slope("createMs")}  pass p50 N^${slope("passP50")}  p99 N^${slope("passP99")}  wall N^${slope("wallMs")}` +
          (shape === "many" ? "   (per pass: work per release should stay flat, N^0)" : ""),
      );
    }
  }
  const largest = Math.max(...sizes);
  console.log(
    `\ngoals at N=${largest} (stated for 10,000): pass p99 ≤ ${GOALS.passP99Ms} ms, create ≤ ${GOALS.createMs / 1000} s, RSS (peak) ≤ ${GOALS.rssMb} MB`,
  );
  for (const r of results.filter((x) => x.n === largest)) {
    const ok = (c) => (c ? "PASS" : "FAIL");
    console.log(
      `  ${r.shape.padEnd(5)} pass p99 ${ok(r.passP99 <= GOALS.passP99Ms)}  create ${ok(r.createMs <= GOALS.createMs)}  RSS ${ok(r.rssMb <= GOALS.rssMb)}`,
    );
  }
}

/** One run in a fresh node process (same flags), its result read back as JSON on stdout. */
async function runInChild(n, shape) {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--child", String(n), shape],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split("\n").pop());
}

const child = process.argv.indexOf("--child");
const entry =
  child >= 0
    ? async () =>
        console.log(JSON.stringify(await run(Number(process.argv[child + 1]), process.argv[child + 2])))
    : main;

entry().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
