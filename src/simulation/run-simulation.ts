import { randomUUID } from "node:crypto";
import { ManualClock } from "../core/clock.js";
import { type ServiceConfig, type StrategyConfig, serviceIn, type TandemConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import { isTerminal, type ReleaseState, type TandemEvent } from "../core/types.js";
import { createRelease } from "../engine/create-release.js";
import { Engine } from "../engine/engine.js";
import { defaultPlugins } from "../engine/plugins.js";
import { openStore } from "../store/index.js";
import { resetSimInstances } from "../targets/sim.js";
import { SimulatedHookRunner } from "./hook-runner.js";
import { type TrafficSpec, TrafficTrace } from "./traffic.js";
import { TrafficRouter, type TrafficTotals } from "./traffic-router.js";

export interface SimulationRequest {
  service: string;
  environment: string;
  traffic: TrafficSpec;
  seed: number;
  /** Give up (and say so) after this much virtual time. */
  horizonMs: number;
  stableVersion?: string;
  newVersion?: string;
}

export interface SimulationResult {
  release: ReleaseState;
  /** The new version's release, from its creation; `at` is virtual time since then. */
  events: TandemEvent[];
  startedAt: number;
  /** Virtual ms from the start of the new version's release to its end (or the horizon). */
  durationMs: number;
  finished: boolean;
  traffic: TrafficTotals;
  /** Times a pause that waits for a person was resumed by the simulation. */
  resumedForPeople: number;
}

/**
 * Runs the service's own strategy and analysis, with the real engine, in virtual time: the stable
 * version goes live first, then the new one rolls out while simulated traffic is split by the weights
 * the engine sets, and analyses measure it through the builtin provider. Instances are simulated;
 * hooks, approvals and gates (people and side effects) are left out, and pauses that wait for a person
 * are resumed at once (counted in the result).
 */
export async function runSimulation(
  config: TandemConfig,
  request: SimulationRequest,
): Promise<SimulationResult> {
  if (!config.environments[request.environment]) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `unknown environment "${request.environment}"`, {
      hint: `environments in ${config.file}: ${Object.keys(config.environments).join(", ")}`,
    });
  }
  const original = serviceIn(config, request.environment, request.service);
  if (!original) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `unknown service "${request.service}"`, {
      hint: `services in ${config.file}: ${Object.keys(config.services).join(", ")}`,
    });
  }
  if (original.router.type === "none") {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `${request.service} has no router, so there is no traffic to split and measure`,
      { hint: "simulate a service with a router (canary or blue-green)" },
    );
  }
  const stable = request.stableVersion ?? "stable";
  const next = request.newVersion ?? "new";
  const service = simulated(original);
  const simConfig = simulatedConfig(config, request.environment, service);
  resetSimInstances();
  const clock = new ManualClock();
  const store = await openStore({ type: "sqlite", path: ":memory:" });
  const router = new TrafficRouter(new TrafficTrace(request.traffic, request.seed), clock, {
    stable,
    canary: next,
  });
  const engine = new Engine({
    store,
    config: simConfig,
    clock,
    plugins: {
      ...defaultPlugins,
      createRouter: () => router,
      createHookRunner: () => new SimulatedHookRunner(clock),
    },
    serviceConfig: () => service,
    env: {},
  });
  const release = (version: string) =>
    createRelease(
      {
        environment: request.environment,
        services: [{ service: request.service, version }],
        actor: "simulate",
        fast: false,
      },
      { store, config: simConfig, now: clock.now(), snapshot: () => ({}) },
    );
  let resumedForPeople = 0;
  const drive = async (id: string, untilMs: number): Promise<ReleaseState> => {
    let state = await engine.reconcileOnce(id);
    while (!isTerminal(state.status) && clock.now() < untilMs) {
      if (state.status === "paused" && (await store.pendingCommands(id)).length === 0) {
        resumedForPeople++;
        await store.addCommand({
          id: randomUUID(),
          releaseId: id,
          type: "resume",
          actor: "simulate",
          reason: "the simulation stands in for the person this pause waits for",
          createdAt: clock.now(),
        });
      }
      await clock.advance(1_000);
      state = await engine.reconcileOnce(id);
    }
    return state;
  };
  try {
    const first = await release(stable);
    const live = await drive(first.id, clock.now() + 3_600_000);
    if (live.status !== "succeeded") {
      throw new TandemError(
        "TANDEM_ERR_INVALID_REQUEST",
        `the simulated stable version did not go live: ${live.reason}`,
      );
    }
    const startedAt = clock.now();
    const created = await release(next);
    const final = await drive(created.id, startedAt + request.horizonMs);
    const events = await store.listEvents({ releaseId: created.id });
    return {
      release: final,
      events,
      startedAt,
      durationMs: (isTerminal(final.status) ? final.updatedAt : clock.now()) - startedAt,
      finished: isTerminal(final.status),
      traffic: router.totals,
      resumedForPeople,
    };
  } finally {
    engine.close();
    await store.close();
  }
}

/** The service with simulated instances (started at once) and without side effects or people. */
function simulated(service: ServiceConfig): ServiceConfig {
  const replicas = "replicas" in service.target ? service.target.replicas : 1;
  return {
    ...service,
    target: { type: "sim", replicas, startupTime: 0, unhealthyVersions: [] },
    health: [],
    hooks: { pre: [], post: [] },
    strategy: withoutPeopleSteps(service.strategy),
  };
}

function withoutPeopleSteps(strategy: StrategyConfig): StrategyConfig {
  if (strategy.type !== "canary") return strategy;
  return { ...strategy, steps: strategy.steps.filter((step) => !("approval" in step) && !("hook" in step)) };
}

function simulatedConfig(config: TandemConfig, environment: string, service: ServiceConfig): TandemConfig {
  const env = config.environments[environment]!;
  return {
    ...config,
    hooks: { pre: [], post: [] },
    environments: {
      [environment]: {
        ...env,
        approval: undefined,
        freeze: [],
        hooks: { pre: [], post: [] },
        services: { ...env.services, [service.name]: service },
      },
    },
    services: { ...config.services, [service.name]: service },
  };
}

/** What `tandem simulate --json` and `POST /api/v1/simulate` answer. */
export function simulationSummary(result: SimulationResult, seed: number) {
  return {
    decision: result.finished ? result.release.status : "undecided",
    reason: result.release.reason,
    durationMs: result.durationMs,
    traffic: result.traffic,
    seed,
    events: result.events,
  };
}
