import { describe, expect, it } from "vitest";
import { LATENCY_BOUNDS_MS } from "./builtin/stats.js";
import { histogramQuantile, interpolatedQuantile } from "./histogram.js";

describe("histogramQuantile", () => {
  const histogram = { boundsMs: [1, 5, 10], counts: [50, 40, 9, 1] };

  it("gives the upper bound of the bucket holding the rank", () => {
    expect(histogramQuantile(histogram, 0.5)).toBe(1);
    expect(histogramQuantile(histogram, 0.51)).toBe(5);
    expect(histogramQuantile(histogram, 0.99)).toBe(10);
  });

  it("says Infinity when the rank is in the unbounded bucket, undefined without samples", () => {
    expect(histogramQuantile(histogram, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(histogramQuantile({ boundsMs: [1], counts: [0, 0] }, 0.5)).toBeUndefined();
  });
});

describe("interpolatedQuantile", () => {
  it("interpolates inside buckets as Prometheus does", () => {
    // 100 requests all in (50, 100]: the median is 75, p99 is 99.5.
    const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    counts[6] = 100;
    const h = { boundsMs: [...LATENCY_BOUNDS_MS], counts };
    expect(interpolatedQuantile(0.5, h)).toBe(75);
    expect(interpolatedQuantile(0.99, h)).toBeCloseTo(99.5);
    expect(interpolatedQuantile(0.5, { boundsMs: h.boundsMs, counts: counts.map(() => 0) })).toBeNaN();
  });
  it("differs from histogramQuantile on the same data: inside the bucket, not its upper bound", () => {
    const histogram = { boundsMs: [1, 5, 10], counts: [50, 40, 9, 1] };
    expect(histogramQuantile(histogram, 0.9)).toBe(5);
    expect(interpolatedQuantile(0.9, histogram)).toBe(5);
    expect(histogramQuantile(histogram, 0.7)).toBe(5);
    expect(interpolatedQuantile(0.7, histogram)).toBe(3);
    expect(interpolatedQuantile(1, histogram)).toBe(10);
  });
});
