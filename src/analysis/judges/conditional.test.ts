import { describe, expect, it } from "vitest";
import type { Measurement } from "../types.js";
import { ConditionalComparison, conditionalCompareJudge } from "./conditional.js";
import type { CompareSpec } from "./types.js";

const errors: CompareSpec = { metric: "error_rate", maxIncrease: {} };
const look = (c: [number, number], b: [number, number]): Measurement => ({
  at: 0,
  canary: { requests: c[0], errors: c[1] },
  baseline: { requests: b[0], errors: b[1] },
});

describe("conditional comparison on error rates", () => {
  it("zero traffic and tiny samples: running", () => {
    expect(conditionalCompareJudge(errors, [look([0, 0], [0, 0])]).verdict).toBe("running");
    expect(conditionalCompareJudge(errors, [look([1, 1], [1, 0])]).verdict).toBe("running");
    expect(conditionalCompareJudge(errors, []).verdict).toBe("running");
  });

  it("no data, NaN, impossible counts, counts that go down, allowances it does not support", () => {
    expect(conditionalCompareJudge(errors, [{ at: 0 }]).reason).toBe("no data");
    expect(conditionalCompareJudge(errors, [look([Number.NaN, 0], [1, 0])]).verdict).toBe("inconclusive");
    expect(conditionalCompareJudge(errors, [look([1, 2], [1, 0])]).verdict).toBe("error");
    expect(conditionalCompareJudge(errors, [look([10, 1], [10, 0]), look([5, 1], [10, 0])]).reason).toBe(
      "cumulative counts went down between looks",
    );
    const relative = { ...errors, maxIncrease: { relative: 0.2 } };
    expect(conditionalCompareJudge(relative, [look([1, 0], [1, 0])]).verdict).toBe("error");
  });

  it("hand-computed: one span, one error of one request each, ψ grid {2}: E = 4/3", () => {
    const test = new ConditionalComparison({ ...errors, alpha: 0.5 }, [2]);
    const v = test.observe(look([1, 1], [1, 0]));
    expect(v.detail?.logEWorse).toBeCloseTo(Math.log(4 / 3), 12);
    expect(v.verdict).toBe("running");
    // the same span again (cumulative 2/2 vs 0/2): (4/3)² = 1.78 ≤ 2
    expect(test.observe(look([2, 2], [2, 0])).verdict).toBe("running");
    // a third: (4/3)³ = 2.37 ≥ 1/0.5: failed, and failed it stays
    expect(test.observe(look([3, 3], [3, 0])).verdict).toBe("failed");
    expect(test.observe(look([100, 3], [100, 50])).verdict).toBe("failed");
  });

  it("fails 5% against 0.5% at a 5% canary share within a few hundred canary requests", () => {
    const v = conditionalCompareJudge(errors, [look([300, 15], [5700, 28])]);
    expect(v.verdict).toBe("failed");
    expect(v.reason).toMatch(/^error rate 5\.00% vs 0\.49% stable: worse at 98% confidence/);
  });

  it("all-equal rates are no evidence of worse, however large", () => {
    const v = conditionalCompareJudge(errors, [look([10_000, 50], [10_000, 50])]);
    expect(v.verdict).toBe("running");
    expect(v.detail?.logEWorse).toBeLessThan(0);
  });

  it("the pure form agrees with the incremental one", () => {
    const looks = [look([100, 1], [1900, 10]), look([200, 5], [3800, 18]), look([300, 9], [5700, 27])];
    const test = new ConditionalComparison(errors);
    let last = test.observe(looks[0]!);
    for (const m of looks.slice(1)) last = test.observe(m);
    expect(conditionalCompareJudge(errors, looks)).toEqual(last);
  });
});

const B = [10, 25, 50, 100, 250];
const lat = (c: number[], b: number[]): Measurement => ({
  at: 0,
  canary: { requests: 0, errors: 0, latency: { boundsMs: B, counts: c } },
  baseline: { requests: 0, errors: 0, latency: { boundsMs: B, counts: b } },
});

describe("conditional comparison on latency", () => {
  const spec: CompareSpec = { metric: "latency", maxIncrease: {} };
  it("all-equal samples in one bucket: never worse", () => {
    expect(conditionalCompareJudge(spec, [lat([0, 0, 500, 0, 0, 0], [0, 0, 500, 0, 0, 0])]).verdict).toBe(
      "running",
    );
  });

  it("a canary twice as slow fails, with where it is slower", () => {
    const v = conditionalCompareJudge(spec, [lat([0, 100, 300, 500, 100, 0], [100, 300, 500, 100, 0, 0])]);
    expect(v.verdict).toBe("failed");
    expect(v.reason).toMatch(
      /worse at 98% confidence \(conditional test, allowing no increase, most at \d+ms\)/,
    );
  });

  it("missing histograms: no data; other buckets: error", () => {
    expect(conditionalCompareJudge(spec, [look([1, 0], [1, 0])]).reason).toBe("no data");
    const other = lat([1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]);
    other.canary = { requests: 1, errors: 0, latency: { boundsMs: [10], counts: [1, 0] } };
    expect(conditionalCompareJudge(spec, [other]).verdict).toBe("error");
  });
});
