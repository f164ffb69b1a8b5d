import { describe, expect, it } from "vitest";
import { logEValue, logMixture } from "./proportions.js";

const none = { factor: 1, shift: 0 };

describe("two-proportion e-value (universal inference)", () => {
  it("is 1 (log 0) with no traffic at all", () => {
    expect(logEValue({ events: 0, trials: 0 }, { events: 0, trials: 0 }, none, "worse")).toBe(0);
    expect(logEValue({ events: 0, trials: 0 }, { events: 0, trials: 0 }, none, "notWorse")).toBe(0);
  });

  it("Beta(1/2,1/2) marginal of one success is 1/2", () => {
    expect(logMixture({ events: 1, trials: 1 })).toBeCloseTo(Math.log(0.5), 12);
    // the baseline has no trials, so its rate is free and H0 holds at p_c = p_b = 1
    expect(logEValue({ events: 1, trials: 1 }, { events: 0, trials: 0 }, none, "worse")).toBeCloseTo(
      Math.log(0.5),
      12,
    );
  });

  it("10/10 against 0/10: the constrained MLE is p = 1/2 on the boundary (2 ln(B(10.5,.5)/π) + 20 ln 2)", () => {
    const e = logEValue({ events: 10, trials: 10 }, { events: 0, trials: 10 }, none, "worse");
    expect(e).toBeCloseTo(10.390639, 5);
  });

  it("an absolute allowance moves the constrained MLE: p_b = 1/4, p_c = 3/4", () => {
    // boundary p_c = p_b + 0.5: 10 ln(p + .5) + 10 ln(1 − p) peaks at p = 1/4
    const e = logEValue(
      { events: 10, trials: 10 },
      { events: 0, trials: 10 },
      { factor: 1, shift: 0.5 },
      "worse",
    );
    expect(e).toBeCloseTo(2.281337, 5);
  });

  it("never exceeds 1 when the data sit inside H0 (all-equal samples)", () => {
    const same = { events: 5, trials: 1000 };
    expect(logEValue(same, same, none, "worse")).toBeLessThan(0);
    expect(logEValue(same, same, none, "notWorse")).toBeLessThan(0);
    expect(logEValue({ events: 0, trials: 500 }, { events: 0, trials: 500 }, none, "worse")).toBeLessThan(0);
  });

  it("grows with evidence in the tested direction only", () => {
    const base = { events: 50, trials: 10_000 };
    const bad = { events: 200, trials: 10_000 };
    expect(logEValue(bad, base, { factor: 1.2, shift: 0 }, "worse")).toBeGreaterThan(Math.log(1 / 0.02));
    expect(logEValue(bad, base, { factor: 1.2, shift: 0 }, "notWorse")).toBeLessThan(0);
    // an absolute allowance of 2 points covers 2% against 0.5%
    expect(logEValue(bad, base, { factor: 1, shift: 0.02 }, "worse")).toBeLessThan(0);
    expect(logEValue(base, base, { factor: 1, shift: 0.01 }, "notWorse")).toBeGreaterThan(Math.log(1 / 0.02));
  });

  it("accepts fractional counts and stays finite at the edges", () => {
    const e = logEValue(
      { events: 3, trials: 3 },
      { events: 2.5, trials: 10 },
      { factor: 1, shift: 0.5 },
      "notWorse",
    );
    expect(Number.isFinite(e) || e === Number.POSITIVE_INFINITY).toBe(true);
    expect(Number.isNaN(logEValue({ events: 0, trials: 4 }, { events: 4, trials: 4 }, none, "worse"))).toBe(
      false,
    );
  });
});
