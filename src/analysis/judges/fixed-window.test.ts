import { describe, expect, it } from "vitest";
import { fixedWindowJudge, mannWhitneyHistograms, twoProportionZTest } from "./fixed-window.js";

const bounds = [10, 100];

describe("two-proportion z-test (one-sided)", () => {
  it("matches the pooled test by hand", () => {
    // p̄ = 25/2000, se = sqrt(p̄(1-p̄)·2/1000), z = 0.015/se
    const t = twoProportionZTest({ errors: 20, requests: 1000 }, { errors: 5, requests: 1000 });
    expect(t.statistic).toBeCloseTo(3.018928, 5);
    expect(t.pValue).toBeCloseTo(0.00126836, 6);
  });

  it("applies a relative allowance with the variance at H0's rates", () => {
    // p̃_b = 25/2200, p̃_c = 1.2 p̃_b, diff = 0.02 − 1.2·0.005
    const t = twoProportionZTest(
      { errors: 20, requests: 1000 },
      { errors: 5, requests: 1000 },
      { factor: 1.2, shift: 0 },
    );
    expect(t.statistic).toBeCloseTo(2.572031, 5);
    expect(t.pValue).toBeCloseTo(0.0050552, 6);
  });

  it("tiny samples: 1/1 against 0/1 is far from significant", () => {
    expect(twoProportionZTest({ errors: 1, requests: 1 }, { errors: 0, requests: 1 }).pValue).toBeCloseTo(
      0.0786496,
      6,
    );
  });

  it("no errors anywhere, or no traffic, gives p = 1", () => {
    expect(twoProportionZTest({ errors: 0, requests: 500 }, { errors: 0, requests: 500 }).pValue).toBe(1);
    expect(twoProportionZTest({ errors: 0, requests: 0 }, { errors: 3, requests: 10 }).pValue).toBe(1);
  });
});

describe("Mann-Whitney U on histograms", () => {
  it("matches the tie-corrected normal approximation by hand", () => {
    // U = 2·2 = 4, E[U] = 2, ties: 2 groups of 2 → var = (4/12)(5 − 12/12) = 4/3
    const t = mannWhitneyHistograms(
      { boundsMs: bounds, counts: [0, 0, 2] },
      { boundsMs: bounds, counts: [2, 0, 0] },
    );
    expect(t.statistic).toBeCloseTo(1.299038, 5);
    expect(t.pValue).toBeCloseTo(0.0969654, 6);
  });

  it("all-equal samples carry no evidence", () => {
    const same = { boundsMs: bounds, counts: [0, 50, 0] };
    expect(mannWhitneyHistograms(same, same).pValue).toBe(1);
  });

  it("empty histograms give p = 1", () => {
    const empty = { boundsMs: bounds, counts: [0, 0, 0] };
    expect(mannWhitneyHistograms(empty, { boundsMs: bounds, counts: [1, 2, 3] }).pValue).toBe(1);
  });

  it("an allowance that covers the shift removes the evidence", () => {
    const b = { boundsMs: [10, 20, 40, 80], counts: [0, 500, 0, 0, 0] };
    const c = { boundsMs: [10, 20, 40, 80], counts: [0, 0, 500, 0, 0] };
    expect(mannWhitneyHistograms(c, b).pValue).toBeLessThan(1e-6);
    expect(mannWhitneyHistograms(c, b, { factor: 2, shift: 0 }).pValue).toBeGreaterThan(0.4);
  });
});

describe("fixedWindowJudge", () => {
  const spec = { metric: "error_rate" as const, maxIncrease: { relative: 0.2 } };
  it("fails a worse error rate at 98% and passes an equal one", () => {
    const bad = { at: 0, canary: { requests: 1000, errors: 20 }, baseline: { requests: 1000, errors: 5 } };
    expect(fixedWindowJudge(spec, bad).verdict).toBe("failed");
    const good = { at: 0, canary: { requests: 1000, errors: 5 }, baseline: { requests: 1000, errors: 5 } };
    expect(fixedWindowJudge(spec, good).verdict).toBe("successful");
  });

  it("without an allowance, uses the exact (Fisher / exact Mann-Whitney) test: 3/3 vs 0/3 is p = 1/20", () => {
    const none = { metric: "error_rate" as const, maxIncrease: {} };
    const m = { at: 0, canary: { requests: 3, errors: 3 }, baseline: { requests: 3, errors: 0 } };
    const v = fixedWindowJudge(none, m);
    expect(v.detail?.pValue).toBeCloseTo(0.05, 12);
    expect(v.verdict).toBe("successful");
    expect(fixedWindowJudge({ ...none, alpha: 0.1 }, m).verdict).toBe("failed");
  });

  it("no data, NaN and provider errors", () => {
    expect(fixedWindowJudge(spec, { at: 0 }).reason).toBe("no data");
    const nan = { at: 0, canary: { requests: Number.NaN, errors: 0 }, baseline: { requests: 1, errors: 0 } };
    expect(fixedWindowJudge(spec, nan).verdict).toBe("inconclusive");
    const zero = { at: 0, canary: { requests: 0, errors: 0 }, baseline: { requests: 10, errors: 0 } };
    expect(fixedWindowJudge(spec, zero).verdict).toBe("inconclusive");
    expect(fixedWindowJudge(spec, { at: 0, error: "timeout" })).toEqual({
      verdict: "error",
      reason: "timeout",
    });
  });

  it("judges latency by Mann-Whitney", () => {
    const latency = { metric: "latency" as const, maxIncrease: {} };
    const b = { boundsMs: bounds, counts: [400, 100, 0] };
    const c = { boundsMs: bounds, counts: [100, 400, 0] };
    const m = {
      at: 0,
      canary: { requests: 500, errors: 0, latency: c },
      baseline: { requests: 500, errors: 0, latency: b },
    };
    expect(fixedWindowJudge(latency, m).verdict).toBe("failed");
    const same = { ...m, canary: { requests: 500, errors: 0, latency: b } };
    expect(fixedWindowJudge(latency, same).verdict).toBe("successful");
  });
});
