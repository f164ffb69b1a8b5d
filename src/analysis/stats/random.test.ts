import { describe, expect, it } from "vitest";
import { binomial, poisson, seeded } from "./random.js";

describe("seeded random source", () => {
  it("repeats for a seed and stays in [0, 1)", () => {
    const a = seeded(42);
    const b = seeded(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seeded(43)()).not.toBe(seeded(42)());
  });

  it("draws Poisson and binomial counts with the right means", () => {
    const r = seeded(7);
    const n = 4000;
    let sumP = 0;
    let sumB = 0;
    for (let i = 0; i < n; i++) {
      sumP += poisson(r, 1200);
      sumB += binomial(r, 1000, 0.02);
    }
    expect(sumP / n).toBeGreaterThan(1195);
    expect(sumP / n).toBeLessThan(1205);
    expect(sumB / n).toBeGreaterThan(19.7);
    expect(sumB / n).toBeLessThan(20.3);
    expect(binomial(r, 0, 0.5)).toBe(0);
    expect(binomial(r, 10, 1)).toBe(10);
    expect(poisson(r, 0)).toBe(0);
  });
});
