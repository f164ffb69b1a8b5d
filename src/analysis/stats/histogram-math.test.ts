import { describe, expect, it } from "vitest";
import { countAtMost, histogramTotal, sameBuckets, scaleHistogram } from "./histogram-math.js";

const h = { boundsMs: [10, 100, 1000], counts: [10, 20, 30, 40] };

describe("histogram math", () => {
  it("counts with interpolation inside a bucket", () => {
    expect(histogramTotal(h)).toBe(100);
    expect(countAtMost(h, 0)).toBe(0);
    expect(countAtMost(h, 5)).toBeCloseTo(5, 12); // linear in (0, 10]
    expect(countAtMost(h, 10)).toBe(10);
    expect(countAtMost(h, Math.sqrt(10 * 100))).toBeCloseTo(20, 12); // log-midpoint of (10, 100]
    expect(countAtMost(h, 5000)).toBe(60); // the last bucket is unbounded
    expect(countAtMost(h, Number.POSITIVE_INFINITY)).toBe(100);
  });

  it("scales by 10 exactly one bucket up on decade bounds", () => {
    const scaled = scaleHistogram(h, 10, 0);
    expect(scaled.counts.map((n) => Math.round(n * 1e9) / 1e9)).toEqual([1, 9, 20, 70]);
    expect(histogramTotal(scaled)).toBeCloseTo(100, 9);
  });

  it("a factor of 1 and no shift changes nothing", () => {
    expect(scaleHistogram(h, 1, 0).counts).toEqual(h.counts);
  });

  it("checks the buckets line up", () => {
    expect(sameBuckets(h, h)).toBe(true);
    expect(sameBuckets(h, { boundsMs: [10, 100], counts: [1, 2, 3] })).toBe(false);
    expect(sameBuckets(h, { boundsMs: [10, 100, 1000], counts: [1, 2, 3] })).toBe(false);
  });
});
