import { describe, expect, it } from "vitest";
import type { Measurement } from "../types.js";
import { sequentialThresholdJudge } from "./sequential-threshold.js";

const slo = { maxErrorRate: 0.01 };
const canary = (requests: number, errors: number): Measurement => ({ at: 0, canary: { requests, errors } });

describe("sequentialThresholdJudge", () => {
  it("zero traffic: running; no data, NaN, impossible counts, provider errors, bad specs", () => {
    expect(sequentialThresholdJudge(slo, canary(0, 0))).toEqual({
      verdict: "running",
      reason: "no canary requests yet",
    });
    expect(sequentialThresholdJudge(slo, { at: 0 }).reason).toBe("no data");
    expect(sequentialThresholdJudge(slo, canary(Number.NaN, 0)).verdict).toBe("inconclusive");
    expect(sequentialThresholdJudge(slo, canary(3, 4)).verdict).toBe("error");
    expect(sequentialThresholdJudge(slo, { at: 0, error: "timeout" })).toEqual({
      verdict: "error",
      reason: "timeout",
    });
    expect(sequentialThresholdJudge({ maxErrorRate: 0 }, canary(10, 0)).verdict).toBe("error");
    expect(sequentialThresholdJudge({ maxErrorRate: 0.01, alpha: 1 }, canary(10, 0)).verdict).toBe("error");
  });

  it("tiny samples decide nothing, even all failing", () => {
    expect(sequentialThresholdJudge(slo, canary(1, 1)).verdict).toBe("running");
    expect(sequentialThresholdJudge(slo, canary(1, 0)).verdict).toBe("running");
  });

  it("hand-computed evidence: 1/1 against 50% is E = 1.5", () => {
    const v = sequentialThresholdJudge({ maxErrorRate: 0.5 }, canary(1, 1));
    expect(v.detail?.logEAbove).toBeCloseTo(Math.log(1.5), 12);
    expect(v.verdict).toBe("running");
  });

  it("6 errors in 100 requests is above 1% at 98% confidence; 5 in 100 is not yet", () => {
    // E = mean over the six p1 of (p1/0.01)^x ((1 − p1)/0.99)^(100 − x): 98.5 for x = 6, 20.9 for x = 5
    const bad = sequentialThresholdJudge(slo, canary(100, 6));
    expect(bad.verdict).toBe("failed");
    expect(Math.exp(bad.detail!.logEAbove!)).toBeCloseTo(98.523, 2);
    expect(bad.reason).toBe("error rate 6.00% (6/100): above 1.00% at 98% confidence");
    const notYet = sequentialThresholdJudge(slo, canary(100, 5));
    expect(notYet.verdict).toBe("running");
    expect(Math.exp(notYet.detail!.logEAbove!)).toBeCloseTo(20.944, 2);
  });

  it("all-equal samples (no errors): below the threshold once there are enough requests", () => {
    expect(sequentialThresholdJudge(slo, canary(100, 0)).verdict).toBe("running");
    const v = sequentialThresholdJudge(slo, canary(2000, 0));
    expect(v.verdict).toBe("successful");
    expect(v.reason).toContain("below 1.00%");
  });
});
