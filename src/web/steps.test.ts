import { describe, expect, it } from "vitest";
import { describeStep, probeHealth, stepProgress } from "./steps";
import type { Step } from "./types";

const STEPS: Step[] = [
  { type: "setWeight", weight: 25 },
  { type: "pause" },
  { type: "setWeight", weight: 50 },
  { type: "pause", duration: 30_000 },
];

describe("steps for people", () => {
  it("describes each kind of step", () => {
    expect(describeStep({ type: "setWeight", weight: 25 })).toBe("setWeight 25");
    expect(describeStep({ type: "pause" })).toBe("pause until resumed");
    expect(describeStep({ type: "pause", duration: 30_000 })).toBe("pause 30s");
    expect(describeStep({ type: "scale", track: "new", replicas: 2 })).toBe("scale new to 2");
    expect(
      describeStep({
        type: "analysis",
        analysis: {
          templates: ["golden"],
          interval: 1000,
          failureLimit: 0,
          consecutiveSuccessLimit: 0,
          inconclusiveLimit: 0,
          consecutiveErrorLimit: 4,
          dryRun: false,
          onInconclusive: "pause",
          metrics: [],
        },
      }),
    ).toBe("analysis golden");
    const hook = { name: "smoke", command: ["./smoke.sh"], shell: false, timeout: 300_000, env: {} };
    expect(describeStep({ type: "hook", hook, stage: "step" })).toBe("hook smoke");
  });

  it("says which step of how many a rollout is at", () => {
    expect(stepProgress({ steps: STEPS, stepIndex: 2, status: "running" })).toBe("step 3/4 setWeight 50");
    expect(stepProgress({ steps: STEPS, stepIndex: 1, status: "paused" })).toBe(
      "step 2/4 pause until resumed",
    );
    expect(stepProgress({ steps: STEPS, stepIndex: 4, status: "succeeded" })).toBe("done (4/4)");
    expect(stepProgress({ steps: STEPS, stepIndex: 0, status: "pending" })).toBe("waiting (4 steps)");
  });

  it("sums up probe health", () => {
    expect(probeHealth({ status: "running" }).healthy).toBeNull();
    const ok = probeHealth({
      status: "running",
      instances: { new: { ready: 1, total: 1 }, stable: { ready: 2, total: 2 } },
    });
    expect(ok).toEqual({ text: "new 1/1 ready, stable 2/2 ready", healthy: true });
    const bad = probeHealth({
      status: "running",
      instances: { new: { ready: 0, total: 1 }, stable: { ready: 0, total: 0 } },
      probeFailure: { probe: "http", endpoint: "e", message: "connection refused", at: 1 },
    });
    expect(bad).toEqual({ text: "new 0/1 ready; connection refused", healthy: false });
    const done = probeHealth({
      status: "succeeded",
      instances: { new: { ready: 0, total: 1 }, stable: { ready: 1, total: 1 } },
    });
    expect(done.healthy).toBeNull();
  });
});
