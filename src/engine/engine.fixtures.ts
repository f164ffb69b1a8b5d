import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../core/clock.js";
import type { EnvironmentConfig, ServiceConfig, StrategyConfig, TandemConfig } from "../core/config.js";
import { isTerminal, type ReleaseState } from "../core/types.js";
import { SqliteStore } from "../store/sqlite.js";
import { createTarget } from "../targets/index.js";
import { resetSimInstances } from "../targets/sim.js";
import type { ExitedInstance, Target, TargetFactory } from "../targets/types.js";
import { FakeHookRunner } from "../testing/fake-hooks.js";
import { MemoryRouter } from "../testing/memory-router.js";
import { type CreateReleaseRequest, createRelease } from "./create-release.js";
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

export interface FixtureOptions {
  /** More services besides the first (each gets its own in-memory router). */
  more?: ServiceConfig[];
  /** Extra environments (staging always exists). */
  environments?: Record<string, Partial<EnvironmentConfig>>;
  rollbackPolicy?: "release" | "service";
  hooks?: TandemConfig["hooks"];
  /** One target object for every service and release (instead of the configured one). */
  target?: (clock: ManualClock) => Target;
}

/** A project of sim services, a real SQLite file, a manual clock and in-memory routers (one per service). */
export async function engineFixture(service: ServiceConfig, options: FixtureOptions = {}) {
  resetSimInstances();
  const dir = mkdtempSync(join(tmpdir(), "tandem-engine-"));
  const clock = new ManualClock();
  const store = new SqliteStore(join(dir, "tandem.db"));
  await store.migrate();
  const router = new MemoryRouter();
  const routers = new Map<string, MemoryRouter>([[service.name, router]]);
  const all = [service, ...(options.more ?? [])];
  const services = Object.fromEntries(all.map((s) => [s.name, s]));
  const environment = (name: string, extra: Partial<EnvironmentConfig> = {}): EnvironmentConfig => ({
    name,
    freeze: [],
    hooks: { pre: [], post: [] },
    services,
    ...extra,
  });
  const config: TandemConfig = {
    project: "shop",
    file: join(dir, "tandem.yaml"),
    baseDir: dir,
    stateDir: dir,
    store: { type: "sqlite", path: join(dir, "tandem.db") },
    notifications: [],
    environments: {
      staging: environment("staging", options.environments?.staging),
      ...Object.fromEntries(
        Object.entries(options.environments ?? {})
          .filter(([name]) => name !== "staging")
          .map(([name, extra]) => [name, environment(name, extra)]),
      ),
    },
    services,
    rollbackPolicy: options.rollbackPolicy ?? "release",
    hooks: options.hooks ?? { pre: [], post: [] },
  };
  /** Instances to report as having exited on their own, as a crashing process would be. */
  const crashes: ExitedInstance[] = [];
  const shared = options.target?.(clock);
  const crashingTarget: TargetFactory = (targetConfig, context) =>
    Object.assign(shared ?? createTarget(targetConfig, context), { takeExited: () => crashes.splice(0) });
  const hooks = new FakeHookRunner(clock);
  const engines: Engine[] = [];
  const newEngine = () => {
    const engine = new Engine({
      store,
      config,
      clock,
      plugins: {
        createTarget: crashingTarget,
        createRouter: (_config, context) => {
          const existing = routers.get(context.service);
          if (existing) return existing;
          const created = new MemoryRouter();
          routers.set(context.service, created);
          return created;
        },
        createMonitor,
        createHookRunner: () => hooks,
      },
      serviceConfig: (release, name) =>
        config.environments[release.environment]?.services[name] ?? config.services[name]!,
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
  /** A release of several services: `releaseOf({ api: "2.0.0", web: "1.1.0" })`. */
  const releaseOf = (versions: Record<string, string>, request: Partial<CreateReleaseRequest> = {}) =>
    createRelease(
      {
        environment: "staging",
        services: Object.entries(versions).map(([name, version]) => ({ service: name, version })),
        actor: "alice",
        ...request,
      },
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
  return {
    crashes,
    clock,
    store,
    router,
    routers,
    hooks,
    config,
    newEngine,
    release,
    releaseOf,
    drive,
    deployed,
    cleanup,
  };
}
