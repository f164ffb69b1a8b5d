// How close a multi-service release comes to its critical path, on the sim target in virtual time.
// Usage: npm run bench:release-dag   (or, after `npm run build`: node bench/release-dag.mjs [--seed N])
//
// 50 services s00..s49 in a random DAG (each depends on 0-3 earlier services, from a seeded PRNG), every
// one a canary with fixed timed pauses on the sim target (fixed startup time, 1-2 replicas, the sim's
// default probe), each behind its own in-memory router. One engine, a real SQLite store and a manual
// clock; a release is driven the way `Engine.run` drives it: a pass, then PASS_INTERVAL_MS of virtual time.
//   1. every service at 1.0.0 (first release, one release of all 50), not measured;
//   2. every service at 2.0.0 in one release: the measured release time (finishedAt - createdAt);
//   3. every service at 3.0.0, one release per service, one after another: each release's duration is
//      that service's rollout alone (instance startup and pass granularity included), and the whole run
//      is the sequential anchor.
// The critical path is the longest chain of the DAG weighted by those single-service durations, computed
// here; Tandem's own estimate (planner `schedule()` as `tandem plan` shows it) is printed for reference.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seeded as prng } from "../dist/analysis/stats/random.js";
import { ManualClock } from "../dist/core/clock.js";
import { isTerminal } from "../dist/core/types.js";
import { createRelease } from "../dist/engine/create-release.js";
import { Engine } from "../dist/engine/engine.js";
import { describePlan } from "../dist/engine/plan-view.js";
import { createMonitor } from "../dist/engine/plugins.js";
import { SqliteStore } from "../dist/store/sqlite.js";
import { createTarget } from "../dist/targets/index.js";
import { resetSimInstances } from "../dist/targets/sim.js";
import { FakeHookRunner } from "../dist/testing/fake-hooks.js";
import { MemoryRouter } from "../dist/testing/memory-router.js";

const SERVICES = 50;
const MAX_DEPENDENCIES = 3;
const DEFAULT_SEED = 20260101;
/** The engine's realistic pass interval (`Engine.run` defaults to 200 ms; 1 s is what a busy controller does). */
const PASS_INTERVAL_MS = 1_000;
/**
 * 2 s: with the sim's default probe (period 1 s, failureThreshold 3, no initialDelay) an instance still
 * starting fails its third check at +2 s, and the rollout rolls back (src/probes/monitor.ts counts
 * failures while starting); a longer startup would need a probe with an initialDelay.
 */
const STARTUP_MS = 2_000;
const PAUSE_MS = 60_000;
const CANARY_STEPS = [
  { setWeight: 20 },
  { pause: { duration: PAUSE_MS } },
  { setWeight: 50 },
  { pause: { duration: PAUSE_MS } },
];
const GOAL_RATIO = 1.05;
/** Bounds: passes per release (about 2.5 virtual minutes per service on the longest possible chain). */
const MAX_PASSES_ONE = 1_000;
const MAX_PASSES_ALL = SERVICES * MAX_PASSES_ONE;

/** Each service depends on 0..MAX_DEPENDENCIES distinct earlier services (so the graph is acyclic). */
function randomDag(random) {
  const services = [];
  for (let i = 0; i < SERVICES; i++) {
    const name = `s${String(i).padStart(2, "0")}`;
    const wanted = Math.min(i, Math.floor(random() * (MAX_DEPENDENCIES + 1)));
    const deps = new Set();
    for (let guard = 0; deps.size < wanted && guard < 100; guard++) deps.add(Math.floor(random() * i));
    const replicas = 1 + Math.floor(random() * 2);
    services.push({ name, deps: [...deps].sort((a, b) => a - b), replicas });
  }
  return services;
}

/** Longest chain ending at each service, weighted by `weight(i)`; services are already in topological order. */
function longestPath(services, weight) {
  const end = [];
  const via = [];
  services.forEach((s, i) => {
    let start = 0;
    via[i] = -1;
    for (const d of s.deps) if (end[d] > start) [start, via[i]] = [end[d], d];
    end[i] = start + weight(i);
  });
  let last = end.indexOf(Math.max(...end));
  const path = [];
  for (; last !== -1; last = via[last]) path.unshift(services[last].name);
  return { totalMs: Math.max(...end), path };
}

function serviceConfig({ name, deps, replicas }, index, services) {
  return {
    name,
    target: { type: "sim", replicas, startupTime: STARTUP_MS, unhealthyVersions: [] },
    // The engine is given a MemoryRouter per service (plugins.createRouter below); the configuration is
    // what a real project would have.
    router: {
      type: "builtin",
      listen: 20_000 + index,
      host: "127.0.0.1",
      holdTimeout: 30_000,
      holdMaxRequests: 1000,
    },
    health: [],
    strategy: { type: "canary", steps: CANARY_STEPS, progressDeadline: 60_000 },
    dependsOn: deps.map((d) => ({ service: services[d].name })),
    hooks: { pre: [], post: [] },
    pauseTimeout: 3_600_000,
  };
}

function harness(services) {
  resetSimInstances();
  const dir = mkdtempSync(join(tmpdir(), "tandem-bench-dag-"));
  const clock = new ManualClock();
  const store = new SqliteStore(join(dir, "tandem.db"));
  const configs = Object.fromEntries(services.map((s, i) => [s.name, serviceConfig(s, i, services)]));
  const config = {
    project: "bench",
    file: join(dir, "tandem.yaml"),
    baseDir: dir,
    stateDir: dir,
    store: { type: "sqlite", path: join(dir, "tandem.db") },
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
  const create = (versions) =>
    createRelease(
      {
        environment: "staging",
        services: versions.map(([service, version]) => ({ service, version })),
        actor: "bench",
      },
      { store, config, now: clock.now(), snapshot: () => ({}) },
    );
  /** Passes PASS_INTERVAL_MS apart until the release ends; bounded. */
  const drive = async (id, maxPasses) => {
    let state = await engine.reconcileOnce(id);
    let passes = 1;
    for (; passes < maxPasses && !isTerminal(state.status); passes++) {
      await clock.advance(PASS_INTERVAL_MS);
      state = await engine.reconcileOnce(id);
    }
    if (state.status !== "succeeded") {
      throw new Error(
        `release ${id} ended ${state.status} after ${passes} passes: ${state.reason ?? "still running"}`,
      );
    }
    return { state, passes };
  };
  const close = async () => {
    engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { clock, store, create, drive, close, migrate: () => store.migrate() };
}

const seconds = (ms) => `${(ms / 1000).toFixed(0)} s`;
const minutes = (ms) => `${(ms / 1000).toFixed(0)} s = ${(ms / 60_000).toFixed(1)} min`;

async function main() {
  const wallStart = performance.now();
  const seedFlag = process.argv.indexOf("--seed");
  const seed = seedFlag >= 0 ? Number(process.argv[seedFlag + 1]) : DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new Error("--seed wants an integer");
  const services = randomDag(prng(seed));
  const edges = services.reduce((n, s) => n + s.deps.length, 0);
  const levels = longestPath(services, () => 1);
  const h = harness(services);
  try {
    await h.migrate();
    await h.drive((await h.create(services.map((s) => [s.name, "1.0.0"]))).id, MAX_PASSES_ALL);

    // 2. The measured release: all 50 at 2.0.0 together.
    const created = await h.create(services.map((s) => [s.name, "2.0.0"]));
    const estimate = describePlan(created, () => "canary");
    const together = await h.drive(created.id, MAX_PASSES_ALL);
    const releaseMs = together.state.finishedAt - together.state.createdAt;

    // 3. One service at a time at 3.0.0: single-service durations and the sequential anchor.
    const single = [];
    const sequentialStart = h.clock.now();
    let sequentialPasses = 0;
    for (const s of services) {
      const { state, passes } = await h.drive((await h.create([[s.name, "3.0.0"]])).id, MAX_PASSES_ONE);
      single.push(state.finishedAt - state.createdAt);
      sequentialPasses += passes;
    }
    const sequentialMs = h.clock.now() - sequentialStart;
    const sumMs = single.reduce((a, b) => a + b, 0);
    const critical = longestPath(services, (i) => single[i]);

    // Where the release lost time against the critical path, if it did.
    const byName = new Map(together.state.rollouts.map((r) => [r.service, r]));
    let lateStarts = 0;
    let maxLateMs = 0;
    let slower = 0;
    let maxSlowerMs = 0;
    services.forEach((s, i) => {
      const r = byName.get(s.name);
      const ready = Math.max(
        together.state.createdAt,
        ...s.deps.map((d) => byName.get(services[d].name).finishedAt),
      );
      if (r.startedAt > ready)
        [lateStarts, maxLateMs] = [lateStarts + 1, Math.max(maxLateMs, r.startedAt - ready)];
      const extra = r.finishedAt - r.startedAt - single[i];
      if (extra > 0) [slower, maxSlowerMs] = [slower + 1, Math.max(maxSlowerMs, extra)];
    });

    const ratio = releaseMs / critical.totalMs;
    const durations = [...new Set(services.map((s) => s.replicas))].sort().map((r) => {
      const ms = single.filter((_, i) => services[i].replicas === r);
      return `${r} replica(s): ${[...new Set(ms)].map(seconds).join("/")} (${ms.length} services)`;
    });
    const lines = [
      `Tandem release DAG on the sim target, in virtual time — seed ${seed} (--seed N to change), node ${process.version}`,
      `services ${SERVICES}, edges ${edges} (0-${MAX_DEPENDENCIES} per service, mean ${(edges / SERVICES).toFixed(2)}; ` +
        `density ${((100 * edges) / ((SERVICES * (SERVICES - 1)) / 2)).toFixed(1)}% of possible edges), ` +
        `depth ${levels.totalMs} levels`,
      `each: canary setWeight 20, pause ${seconds(PAUSE_MS)}, setWeight 50, pause ${seconds(PAUSE_MS)}; ` +
        `sim startupTime ${seconds(STARTUP_MS)}, replicas 1-2, sim default probe (period 1 s); pass interval ${PASS_INTERVAL_MS} ms`,
      `single service alone (measured): ${durations.join(", ")}`,
      "",
      `${`release of all ${SERVICES} together`.padEnd(32)}${minutes(releaseMs).padStart(18)}   (${together.passes} passes)`,
      `${"critical path (measured)".padEnd(32)}${minutes(critical.totalMs).padStart(18)}   ${critical.path.length} services: ${critical.path.join(" > ")}`,
      `${"  Tandem's schedule() estimate".padEnd(32)}${minutes(estimate.totalMs).padStart(18)}   timed pauses only, ${estimate.criticalPath.length} services: ${estimate.criticalPath.join(" > ")}`,
      `${"sequential, one release each".padEnd(32)}${minutes(sequentialMs).padStart(18)}   (${sequentialPasses} passes; sum of single-service durations ${minutes(sumMs)})`,
      "",
      `release / critical path: ${ratio.toFixed(3)}×   goal ≤ ${GOAL_RATIO}   ${ratio <= GOAL_RATIO ? "PASS" : "FAIL"}`,
      `release / sequential:    ${(releaseMs / sequentialMs).toFixed(3)}×   (${(sequentialMs / releaseMs).toFixed(1)}× faster than one after another)`,
      `dependents started after their dependencies were done: ${lateStarts}${lateStarts ? ` (up to ${seconds(maxLateMs)} late)` : ""}; ` +
        `rollouts slower than alone: ${slower}${slower ? ` (up to +${seconds(maxSlowerMs)})` : ""}`,
      `(${((performance.now() - wallStart) / 1000).toFixed(1)} s wall clock in all)`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await h.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(
      `bench/release-dag failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);
