import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../core/clock.js";
import type { ServiceConfig, StrategyConfig, TandemConfig } from "../core/config.js";
import { isTerminal, type ReleaseState } from "../core/types.js";
import { SqliteStore } from "../store/sqlite.js";
import { createTarget } from "../targets/index.js";
import { resetSimInstances } from "../targets/sim.js";
import type { ExitedInstance, TargetFactory } from "../targets/types.js";
import { MemoryRouter } from "../testing/memory-router.js";
import { createRelease } from "./create-release.js";
import { Engine } from "./engine.js";
import { createMonitor } from "./plugins.js";

export function simService(strategy: StrategyConfig, overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    name: "api",
    target: { type: "sim", replicas: 2, startupTime: 2_000, unhealthyVersions: ["bad"] },
    router: { type: "none" },
    health: [],
    strategy,
    dependsOn: [],
    hooks: { pre: [], post: [] },
    pauseTimeout: 3_600_000,
    ...overrides,
  };
}

/** A project with one sim service, a real SQLite file, a manual clock and a shared in-memory router. */
export async function engineFixture(service: ServiceConfig) {
  resetSimInstances();
  const dir = mkdtempSync(join(tmpdir(), "tandem-engine-"));
  const clock = new ManualClock();
  const store = new SqliteStore(join(dir, "tandem.db"));
  await store.migrate();
  const router = new MemoryRouter();
  const config: TandemConfig = {
    project: "shop",
    file: join(dir, "tandem.yaml"),
    baseDir: dir,
    stateDir: dir,
    store: { type: "sqlite", path: join(dir, "tandem.db") },
    environments: {
      staging: {
        name: "staging",
        freeze: [],
        hooks: { pre: [], post: [] },
        services: { [service.name]: service },
      },
    },
    services: { [service.name]: service },
    rollbackPolicy: "release",
    hooks: { pre: [], post: [] },
  };
  /** Instances to report as having exited on their own, as a crashing process would be. */
  const crashes: ExitedInstance[] = [];
  const crashingTarget: TargetFactory = (targetConfig, context) =>
    Object.assign(createTarget(targetConfig, context), { takeExited: () => crashes.splice(0) });
  const engines: Engine[] = [];
  const newEngine = () => {
    const engine = new Engine({
      store,
      config,
      clock,
      plugins: { createTarget: crashingTarget, createRouter: () => router, createMonitor },
      serviceConfig: (_release, name) => config.services[name]!,
      leaseTtlMs: 15_000,
    });
    engines.push(engine);
    return engine;
  };
  const release = (version: string, fast = false) =>
    createRelease(
      { environment: "staging", services: [{ service: service.name, version }], actor: "alice", fast },
      { store, config, now: clock.now(), snapshot: () => ({}) },
    );
  /** Passes one second apart until `done` holds or the release ends; bounded. */
  const drive = async (
    engine: Engine,
    id: string,
    done: (r: ReleaseState) => boolean = () => false,
    maxSeconds = 600,
  ) => {
    let state = await engine.reconcileOnce(id);
    for (let i = 0; i < maxSeconds && !done(state) && !isTerminal(state.status); i++) {
      await clock.advance(1_000);
      state = await engine.reconcileOnce(id);
    }
    return state;
  };
  const deployed = async (version: string) => {
    const engine = newEngine();
    const r = await release(version);
    const final = await drive(engine, r.id);
    engine.close();
    return final;
  };
  const cleanup = async () => {
    for (const engine of engines) engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { crashes, clock, store, router, config, newEngine, release, drive, deployed, cleanup };
}
