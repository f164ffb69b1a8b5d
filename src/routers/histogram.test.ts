import { describe, expect, it } from "vitest";
import { histogramQuantile } from "./histogram.js";

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
