import { describe, expect, it } from "vitest";
import type { Measurement } from "../types.js";
import { compareJudge, errorRateEvidence, latencyEvidence } from "./sequential.js";
import type { CompareSpec } from "./types.js";

const errors: CompareSpec = { metric: "error_rate", maxIncrease: { relative: 0.2 } };
const look = (c: [number, number], b: [number, number]): Measurement => ({
  at: 0,
  canary: { requests: c[0], errors: c[1] },
  baseline: { requests: b[0], errors: b[1] },
});

describe("compareJudge on error rates", () => {
  it("zero traffic: running, not a verdict", () => {
    expect(compareJudge(errors, look([0, 0], [0, 0])).verdict).toBe("running");
    expect(compareJudge(errors, look([0, 0], [1000, 5])).reason).toBe("no canary requests yet");
  });

  it("no data, NaN, impossible counts, provider errors, bad specs", () => {
    expect(compareJudge(errors, { at: 0 })).toEqual({ verdict: "inconclusive", reason: "no data" });
    expect(compareJudge(errors, look([Number.NaN, 0], [10, 0])).verdict).toBe("inconclusive");
    expect(compareJudge(errors, look([10, 11], [10, 0])).verdict).toBe("error");
    expect(compareJudge(errors, { at: 0, error: "503 from Prometheus" }).reason).toBe("503 from Prometheus");
    expect(compareJudge({ ...errors, alpha: 2 }, look([10, 0], [10, 0])).verdict).toBe("error");
  });

  it("tiny samples decide nothing, however bad they look", () => {
    expect(compareJudge(errors, look([1, 1], [1, 0])).verdict).toBe("running");
    expect(compareJudge(errors, look([5, 5], [5, 0])).verdict).toBe("running");
  });

  it("fails 2% against 0.5% with 20% allowed", () => {
    const v = compareJudge(errors, look([5000, 100], [5000, 25]));
    expect(v.verdict).toBe("failed");
    expect(v.reason).toContain("error rate 2.00% vs 0.50% stable: worse at 98% confidence");
    expect(v.detail?.logEWorse).toBeGreaterThan(Math.log(50));
  });

  it("all-equal samples: not worse once the allowance can be shown (1% absolute)", () => {
    const spec: CompareSpec = { metric: "error_rate", maxIncrease: { absolute: 0.01 } };
    expect(compareJudge(spec, look([100, 0], [100, 0])).verdict).toBe("running");
    expect(compareJudge(spec, look([5000, 25], [5000, 25])).verdict).toBe("successful");
  });

  it("with no allowance an equal canary can never be shown not worse", () => {
    const e = errorRateEvidence(
      { requests: 1e6, errors: 5000 },
      { requests: 1e6, errors: 5000 },
      { ...errors, maxIncrease: {} },
    );
    expect(e.logNotWorse).toBeLessThan(0);
    expect(e.logWorse).toBeLessThan(0);
  });

  it("both allowances: the canary may use the larger one", () => {
    const spec: CompareSpec = { metric: "error_rate", maxIncrease: { relative: 0.2, absolute: 0.02 } };
    // 2% vs 0.5% exceeds +20% but not +2 points
    expect(compareJudge(spec, look([5000, 100], [5000, 25])).verdict).not.toBe("failed");
  });
});

const B = [10, 25, 50, 100, 250];
const hist = (counts: number[]) => ({ boundsMs: B, counts });
const lat = (c: number[], b: number[]): Measurement => ({
  at: 0,
  canary: { requests: 0, errors: 0, latency: hist(c) },
  baseline: { requests: 0, errors: 0, latency: hist(b) },
});

describe("compareJudge on latency", () => {
  const spec: CompareSpec = { metric: "latency", maxIncrease: { relative: 0.2 } };

  it("no samples: running; missing histograms: no data; other buckets: error", () => {
    expect(compareJudge(spec, lat([0, 0, 0, 0, 0, 0], [1, 2, 3, 0, 0, 0])).verdict).toBe("running");
    expect(compareJudge(spec, look([1, 0], [1, 0])).reason).toBe("no data");
    const other = { ...lat([1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]) };
    other.canary = { requests: 1, errors: 0, latency: { boundsMs: [10], counts: [1, 0] } };
    expect(compareJudge(spec, other).verdict).toBe("error");
  });

  it("all-equal samples in one bucket: never worse, and not worse once there are enough", () => {
    expect(compareJudge(spec, lat([0, 0, 5, 0, 0, 0], [0, 0, 5, 0, 0, 0])).verdict).toBe("running");
    expect(compareJudge(spec, lat([0, 0, 2000, 0, 0, 0], [0, 0, 2000, 0, 0, 0])).verdict).toBe("successful");
  });

  it("a canary twice as slow fails, with where it is slower", () => {
    const v = compareJudge(spec, lat([0, 100, 300, 500, 100, 0], [100, 300, 500, 100, 0, 0]));
    expect(v.verdict).toBe("failed");
    expect(v.reason).toMatch(/worse at 98% confidence \(allowing \+20%, most at \d+ms\)/);
  });

  it("a shift within the allowance is not evidence of worse", () => {
    const base = [0, 0, 1000, 0, 0, 0]; // all in (25, 50]
    const e = latencyEvidence(hist([0, 0, 1000, 0, 0, 0]), hist(base), {
      ...spec,
      maxIncrease: { relative: 0.2 },
    });
    expect(e.logWorse).toBeLessThan(0);
  });
});
