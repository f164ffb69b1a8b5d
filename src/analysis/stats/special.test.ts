import { describe, expect, it } from "vitest";
import { erfc, logBeta, logGamma, normalCdf, normalSf } from "./special.js";

describe("special functions", () => {
  it("normal CDF matches the tables", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-2.053749)).toBeCloseTo(0.02, 6);
    expect(normalSf(2.053749)).toBeCloseTo(0.02, 6);
    expect(normalSf(6) / 9.865876450377e-10).toBeCloseTo(1, 5);
  });

  it("erfc is symmetric about 1 and NaN-safe", () => {
    expect(erfc(0.5) + erfc(-0.5)).toBeCloseTo(2, 12);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(Number.isNaN(erfc(Number.NaN))).toBe(true);
  });

  it("ln Γ matches factorials and Γ(1/2) = √π", () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
    expect(logGamma(0.001)).toBeCloseTo(6.907178885383854, 9);
    expect(Number.isNaN(logGamma(0))).toBe(true);
  });

  it("ln B(1/2, 1/2) = ln π and B(2, 3) = 1/12", () => {
    expect(logBeta(0.5, 0.5)).toBeCloseTo(Math.log(Math.PI), 12);
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 12);
  });
});
