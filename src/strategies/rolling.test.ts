import { describe, expect, it } from "vitest";
import type { Amount } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import { planRolling, resolveAmount, resolveRollingLimits } from "./rolling.js";

const count = (value: number): Amount => ({ value, percent: false });
const percent = (value: number): Amount => ({ value, percent: true });

describe("planRolling", () => {
  it("replaces 4 replicas one at a time with one extra instance and none missing", () => {
    const steps = planRolling(
      { batchSize: count(1), maxSurge: count(1), maxUnavailable: count(0), pauseBetweenBatches: 0 },
      4,
    );
    expect(steps).toEqual([
      { type: "scale", track: "new", replicas: 1 },
      { type: "setWeight", weight: 25 },
      { type: "scale", track: "stable", replicas: 3 },
      { type: "scale", track: "new", replicas: 2 },
      { type: "setWeight", weight: 50 },
      { type: "scale", track: "stable", replicas: 2 },
      { type: "scale", track: "new", replicas: 3 },
      { type: "setWeight", weight: 75 },
      { type: "scale", track: "stable", replicas: 1 },
      { type: "scale", track: "new", replicas: 4 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("replaces 10 replicas in batches of 25% with 25% surge, pausing between batches only", () => {
    const steps = planRolling(
      {
        batchSize: percent(25),
        maxSurge: percent(25),
        maxUnavailable: count(0),
        pauseBetweenBatches: 10_000,
      },
      10,
    );
    const pause = { type: "pause", duration: 10_000, reason: "pause between batches" };
    expect(steps).toEqual([
      { type: "scale", track: "new", replicas: 3 },
      { type: "setWeight", weight: 30 },
      { type: "scale", track: "stable", replicas: 7 },
      pause,
      { type: "scale", track: "new", replicas: 6 },
      { type: "setWeight", weight: 60 },
      { type: "scale", track: "stable", replicas: 4 },
      pause,
      { type: "scale", track: "new", replicas: 9 },
      { type: "setWeight", weight: 90 },
      { type: "scale", track: "stable", replicas: 1 },
      pause,
      { type: "scale", track: "new", replicas: 10 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("without surge, removes a stable instance before starting each new one", () => {
    const steps = planRolling(
      { batchSize: count(1), maxSurge: count(0), maxUnavailable: count(1), pauseBetweenBatches: 0 },
      4,
    );
    expect(steps).toEqual([
      { type: "scale", track: "stable", replicas: 3 },
      { type: "scale", track: "new", replicas: 1 },
      { type: "setWeight", weight: 33 },
      { type: "scale", track: "stable", replicas: 2 },
      { type: "scale", track: "new", replicas: 2 },
      { type: "setWeight", weight: 67 },
      { type: "scale", track: "stable", replicas: 1 },
      { type: "scale", track: "new", replicas: 3 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
      { type: "scale", track: "new", replicas: 4 },
    ]);
  });

  it("replaces a single replica with surge", () => {
    const steps = planRolling(
      { batchSize: count(1), maxSurge: percent(25), maxUnavailable: percent(25), pauseBetweenBatches: 0 },
      1,
    );
    expect(steps).toEqual([
      { type: "scale", track: "new", replicas: 1 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("refuses limits that cannot progress", () => {
    const tenPercent = {
      batchSize: count(1),
      maxSurge: percent(10),
      maxUnavailable: percent(10),
      pauseBetweenBatches: 0,
    };
    // On 4 replicas, a 10% surge rounds up to 1 instance: the update can progress.
    expect(() => planRolling(tenPercent, 4)).not.toThrow();
    // Without surge, 10% unavailable rounds down to 0: it cannot.
    const noSurge = { ...tenPercent, maxSurge: count(0) };
    expect(() => planRolling(noSurge, 4)).toThrow(TandemError);
    expect(() => planRolling(noSurge, 4)).toThrow(/maxSurge and maxUnavailable both resolve to 0/);
  });
});

describe("resolveAmount", () => {
  it("rounds percentages like Kubernetes", () => {
    expect(resolveAmount(percent(25), 10, "up")).toBe(3);
    expect(resolveAmount(percent(25), 10, "down")).toBe(2);
    expect(resolveAmount(percent(10), 4, "down")).toBe(0);
    expect(resolveAmount(percent(7), 100, "up")).toBe(7);
    expect(resolveAmount(percent(100), 3, "up")).toBe(3);
    expect(resolveAmount(count(2), 10, "down")).toBe(2);
  });

  it("makes batches at least one instance", () => {
    const limits = resolveRollingLimits(
      { batchSize: percent(1), maxSurge: count(1), maxUnavailable: count(0), pauseBetweenBatches: 0 },
      3,
    );
    expect(limits).toEqual({ batch: 1, surge: 1, unavailable: 0 });
  });
});
