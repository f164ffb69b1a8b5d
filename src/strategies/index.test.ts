import { describe, expect, it } from "vitest";
import type { Amount, StrategyConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { Step } from "../core/types.js";
import { estimateDuration, planSteps, resolveRollingLimits } from "./index.js";
import { replaySteps, servingReplicas } from "./test-replay.js";

const strategies: StrategyConfig[] = [
  { type: "canary", steps: [{ setWeight: 10 }, { pause: {} }], progressDeadline: 600_000 },
  { type: "blueGreen", autoPromote: null, scaleDownDelay: 30_000, progressDeadline: 600_000 },
  {
    type: "rolling",
    batchSize: { value: 1, percent: false },
    maxSurge: { value: 1, percent: false },
    maxUnavailable: { value: 0, percent: false },
    pauseBetweenBatches: 0,
    progressDeadline: 600_000,
  },
  { type: "recreate", progressDeadline: 600_000 },
];

describe("planSteps", () => {
  it.each(strategies)("starts every instance at once on a first release ($type)", (strategy) => {
    expect(planSteps(strategy, 3, { hasStable: false })).toEqual([
      { type: "scale", track: "new", replicas: 3 },
      { type: "setWeight", weight: 100 },
    ]);
  });

  it("dispatches to the configured strategy", () => {
    expect(planSteps({ type: "recreate", progressDeadline: 1 }, 2, { hasStable: true })[0]).toEqual({
      type: "scale",
      track: "stable",
      replicas: 0,
    });
  });

  it("refuses a replica count below 1 or not whole", () => {
    expect(() => planSteps(strategies[0]!, 0, { hasStable: true })).toThrow(TandemError);
    expect(() => planSteps(strategies[0]!, 1.5, { hasStable: true })).toThrow(/whole number/);
  });

  it("refuses an unknown strategy type", () => {
    const unknown = { type: "yolo", progressDeadline: 1 } as unknown as StrategyConfig;
    expect(() => planSteps(unknown, 2, { hasStable: true })).toThrow(/unknown strategy type "yolo"/);
  });
});

describe("estimateDuration", () => {
  it("adds timed pauses and counts the ones that wait for a person", () => {
    const steps: Step[] = [
      { type: "scale", track: "new", replicas: 1 },
      { type: "pause", duration: 30_000 },
      { type: "setWeight", weight: 50 },
      { type: "pause" },
      { type: "pause", duration: 15_000, reason: "scale-down delay" },
      { type: "pause", reason: "awaiting promotion of the preview" },
    ];
    expect(estimateDuration(steps)).toEqual({ minMs: 45_000, manualPauses: 2 });
    expect(estimateDuration([])).toEqual({ minMs: 0, manualPauses: 0 });
  });
});

/** A small deterministic generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function generateStrategy(next: () => number): StrategyConfig {
  const int = (max: number) => Math.floor(next() * (max + 1));
  const amount = (): Amount =>
    next() < 0.5 ? { value: int(4), percent: false } : { value: int(100), percent: true };
  switch (int(3)) {
    case 0: {
      const weights = Array.from({ length: int(5) }, () => int(100)).sort((a, b) => a - b);
      const steps = weights.flatMap((weight) =>
        next() < 0.5
          ? [{ setWeight: weight }]
          : [{ setWeight: weight }, { pause: next() < 0.5 ? {} : { duration: int(9) * 1000 } }],
      );
      return { type: "canary", steps, progressDeadline: 1 };
    }
    case 1:
      return {
        type: "blueGreen",
        autoPromote: next() < 0.3 ? null : int(3) * 1000,
        scaleDownDelay: int(3) * 1000,
        progressDeadline: 1,
      };
    case 2: {
      const rolling = {
        type: "rolling" as const,
        batchSize: amount(),
        maxSurge: amount(),
        maxUnavailable: amount(),
        pauseBetweenBatches: int(2) * 1000,
        progressDeadline: 1,
      };
      return rolling;
    }
    default:
      return { type: "recreate", progressDeadline: 1 };
  }
}

function cannotProgress(strategy: StrategyConfig & { type: "rolling" }, replicas: number): boolean {
  try {
    resolveRollingLimits(strategy, replicas);
    return false;
  } catch {
    return true;
  }
}

describe("every plan, over many generated configurations", () => {
  const next = random(20260101);
  const cases: { strategy: StrategyConfig; replicas: number; hasStable: boolean }[] = [];
  const stuck: { strategy: StrategyConfig; replicas: number }[] = [];
  while (cases.length < 1000) {
    const strategy = generateStrategy(next);
    const replicas = 1 + Math.floor(next() * 20);
    if (strategy.type === "rolling" && cannotProgress(strategy, replicas)) stuck.push({ strategy, replicas });
    else cases.push({ strategy, replicas, hasStable: next() < 0.9 });
  }

  it("refuses rolling limits that resolve to no surge and no unavailability", () => {
    expect(stuck.length).toBeGreaterThan(0);
    for (const { strategy, replicas } of stuck) {
      expect(() => planSteps(strategy, replicas, { hasStable: true })).toThrow(TandemError);
    }
  });

  it("ends with the new version at full size, weight 100 and no stable instance", () => {
    for (const { strategy, replicas, hasStable } of cases) {
      const states = replaySteps(planSteps(strategy, replicas, { hasStable }), hasStable ? replicas : 0);
      expect(states.at(-1), JSON.stringify({ strategy, replicas })).toEqual({
        newReplicas: replicas,
        stableReplicas: 0,
        weight: 100,
      });
    }
  });

  it("keeps weights within 0..100 and never lowers them", () => {
    for (const { strategy, replicas, hasStable } of cases) {
      let previous = 0;
      for (const step of planSteps(strategy, replicas, { hasStable })) {
        if (step.type !== "setWeight") continue;
        expect(step.weight).toBeGreaterThanOrEqual(previous);
        expect(step.weight).toBeLessThanOrEqual(100);
        previous = step.weight;
      }
    }
  });

  it("never emits a step that changes nothing", () => {
    for (const { strategy, replicas, hasStable } of cases) {
      const steps = planSteps(strategy, replicas, { hasStable });
      const states = replaySteps(steps, hasStable ? replicas : 0);
      steps.forEach((step, index) => {
        if (step.type === "pause") return;
        const before =
          index === 0
            ? { newReplicas: 0, stableReplicas: hasStable ? replicas : 0, weight: 0 }
            : states[index - 1];
        expect(states[index], JSON.stringify({ strategy, replicas, index })).not.toEqual(before);
      });
    }
  });

  it("keeps rolling updates within maxSurge and maxUnavailable", () => {
    for (const { strategy, replicas } of cases) {
      if (strategy.type !== "rolling") continue;
      const { surge, unavailable } = resolveRollingLimits(strategy, replicas);
      const context = JSON.stringify({ strategy, replicas });
      for (const state of replaySteps(planSteps(strategy, replicas, { hasStable: true }), replicas)) {
        expect(state.newReplicas + state.stableReplicas, context).toBeLessThanOrEqual(replicas + surge);
        expect(servingReplicas(state), context).toBeGreaterThanOrEqual(replicas - unavailable);
      }
    }
  });

  it("keeps every stable instance serving during canary and blue-green until the end", () => {
    for (const { strategy, replicas } of cases) {
      if (strategy.type !== "canary" && strategy.type !== "blueGreen") continue;
      const states = replaySteps(planSteps(strategy, replicas, { hasStable: true }), replicas);
      for (const state of states.slice(0, -1)) {
        expect(state.stableReplicas).toBe(replicas);
        expect(servingReplicas(state)).toBeGreaterThanOrEqual(replicas);
      }
    }
  });
});
