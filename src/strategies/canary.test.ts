import { describe, expect, it } from "vitest";
import type { CanaryStepConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import { canaryReplicasFor, planCanary } from "./canary.js";

const DEFAULT_STEPS: CanaryStepConfig[] = [
  { setWeight: 5 },
  { pause: { duration: 30_000 } },
  { setWeight: 25 },
  { pause: { duration: 30_000 } },
  { setWeight: 50 },
  { pause: { duration: 30_000 } },
];

describe("planCanary", () => {
  it("runs the default 5/25/50 canary on 2 replicas with one new instance until the end", () => {
    expect(planCanary(DEFAULT_STEPS, 2)).toEqual([
      { type: "scale", track: "new", replicas: 1 },
      { type: "setWeight", weight: 5 },
      { type: "pause", duration: 30_000 },
      { type: "setWeight", weight: 25 },
      { type: "pause", duration: 30_000 },
      { type: "setWeight", weight: 50 },
      { type: "pause", duration: 30_000 },
      { type: "scale", track: "new", replicas: 2 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("runs the default 5/25/50 canary on 10 replicas, adding instances as the weight grows", () => {
    expect(planCanary(DEFAULT_STEPS, 10)).toEqual([
      { type: "scale", track: "new", replicas: 1 },
      { type: "setWeight", weight: 5 },
      { type: "pause", duration: 30_000 },
      { type: "scale", track: "new", replicas: 3 },
      { type: "setWeight", weight: 25 },
      { type: "pause", duration: 30_000 },
      { type: "scale", track: "new", replicas: 5 },
      { type: "setWeight", weight: 50 },
      { type: "pause", duration: 30_000 },
      { type: "scale", track: "new", replicas: 10 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("turns a pause without duration into a pause until resumed", () => {
    expect(planCanary([{ setWeight: 20 }, { pause: {} }], 3)).toEqual([
      { type: "scale", track: "new", replicas: 1 },
      { type: "setWeight", weight: 20 },
      { type: "pause" },
      { type: "scale", track: "new", replicas: 3 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("does not repeat a weight or a scale the configuration already reached", () => {
    expect(
      planCanary([{ setWeight: 50 }, { setWeight: 50 }, { setWeight: 100 }, { pause: { duration: 5 } }], 2),
    ).toEqual([
      { type: "scale", track: "new", replicas: 1 },
      { type: "setWeight", weight: 50 },
      { type: "scale", track: "new", replicas: 2 },
      { type: "setWeight", weight: 100 },
      { type: "pause", duration: 5 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("with no configured steps, moves straight to the new version", () => {
    expect(planCanary([], 2)).toEqual([
      { type: "scale", track: "new", replicas: 2 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("refuses a weight that goes down or leaves 0..100", () => {
    expect(() => planCanary([{ setWeight: 50 }, { setWeight: 25 }], 4)).toThrow(TandemError);
    expect(() => planCanary([{ setWeight: 50 }, { setWeight: 25 }], 4)).toThrow(/step 2/);
    expect(() => planCanary([{ setWeight: 101 }], 4)).toThrow(/outside 0\.\.100/);
    expect(() => planCanary([{ setWeight: -1 }], 4)).toThrow(/outside 0\.\.100/);
  });

  it("sizes the canary to carry its share of traffic, with at least one instance", () => {
    expect(canaryReplicasFor(0, 10)).toBe(1);
    expect(canaryReplicasFor(5, 10)).toBe(1);
    expect(canaryReplicasFor(25, 10)).toBe(3);
    expect(canaryReplicasFor(100, 10)).toBe(10);
    expect(canaryReplicasFor(33, 3)).toBe(1);
  });
});
