import { describe, expect, it } from "vitest";
import { fisherExactSf } from "./exact.js";

describe("one-sided Fisher exact test", () => {
  it("matches hand-computed hypergeometric tails", () => {
    // 1/1 vs 0/1: P(X ≥ 1) = C(1,1)·C(1,0)/C(2,1) = 1/2
    expect(fisherExactSf(1, 1, 1, 0)).toBeCloseTo(0.5, 12);
    // 3/3 vs 0/3: 1/C(6,3) = 1/20
    expect(fisherExactSf(3, 3, 3, 0)).toBeCloseTo(0.05, 12);
    // 2/3 vs 0/3: m = 2, P(X ≥ 2) = C(3,2)·C(3,0)/C(6,2) = 3/15
    expect(fisherExactSf(3, 2, 3, 0)).toBeCloseTo(0.2, 12);
  });

  it("no events or no traffic: p = 1; equal shares: p above 1/2", () => {
    expect(fisherExactSf(100, 0, 100, 0)).toBe(1);
    expect(fisherExactSf(0, 0, 100, 3)).toBe(1);
    expect(fisherExactSf(1000, 5, 1000, 5)).toBeGreaterThan(0.5);
  });

  it("is a little more conservative than the z-test's normal approximation (20/1000 vs 5/1000: z gives 0.0013)", () => {
    const p = fisherExactSf(1000, 20, 1000, 5);
    expect(p).toBeGreaterThan(0.0013);
    expect(p).toBeLessThan(0.005);
  });
});
