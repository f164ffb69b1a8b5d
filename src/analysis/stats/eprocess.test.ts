import { describe, expect, it } from "vitest";
import { logMeanExp, OddsRatioEProcess, oddsRatioLogLR, thresholdLogE } from "./eprocess.js";

describe("one-sample threshold e-value", () => {
  it("is 1 (log 0) with no trials", () => {
    expect(thresholdLogE(0, 0, 0.01, "above")).toBe(0);
    expect(thresholdLogE(0, 0, 0.01, "below")).toBe(0);
  });

  it("one error in one request against p0 = 1/2: every alternative above is capped at 3/4, E = 0.75/0.5", () => {
    expect(thresholdLogE(1, 1, 0.5, "above")).toBeCloseTo(Math.log(1.5), 12);
  });

  it("0 errors in 100 requests against 1%: the mean of ((1 − p1)/0.99)^100 over the six alternatives", () => {
    const p1s = [0.015, 0.02, 0.03, 0.05, 0.1, 0.2];
    const e = p1s.reduce((s, p) => s + ((1 - p) / 0.99) ** 100, 0) / 6;
    expect(thresholdLogE(0, 100, 0.01, "above")).toBeCloseTo(Math.log(e), 10);
    // below: alternatives 0.75%, 0.5%, 0.25%, 0.1%
    const below = [0.0075, 0.005, 0.0025, 0.001].reduce((s, p) => s + ((1 - p) / 0.99) ** 100, 0) / 4;
    expect(thresholdLogE(0, 100, 0.01, "below")).toBeCloseTo(Math.log(below), 10);
  });

  it("5 errors in 100 against 1%: (p1/p0)^5 ((1 − p1)/(1 − p0))^95 averaged", () => {
    const p1s = [0.015, 0.02, 0.03, 0.05, 0.1, 0.2];
    const e = p1s.reduce((s, p) => s + (p / 0.01) ** 5 * ((1 - p) / 0.99) ** 95, 0) / 6;
    expect(thresholdLogE(5, 100, 0.01, "above")).toBeCloseTo(Math.log(e), 10);
  });
});

describe("conditional (Fisher noncentral hypergeometric) likelihood ratio", () => {
  it("one event, one trial each: P(canary) = ψ/(1 + ψ), so ψ = 2 gives (2/3)/(1/2) = 4/3", () => {
    expect(oddsRatioLogLR(1, 1, 1, 1, [Math.log(2)])[0]).toBeCloseTo(Math.log(4 / 3), 12);
    expect(oddsRatioLogLR(1, 1, 1, 0, [Math.log(2)])[0]).toBeCloseTo(Math.log(2 / 3), 12);
  });

  it("2 of 2 events from 2 canary trials against 3 baseline trials: ψ²/(3 + 6ψ + ψ²) ÷ 1/10, so ψ = 3 gives 3", () => {
    expect(oddsRatioLogLR(2, 3, 2, 2, [Math.log(3)])[0]).toBeCloseTo(Math.log(3), 12);
    // x = 1: 6ψ/(3 + 6ψ + ψ²) ÷ 6/10 = 10·3/30 = 1
    expect(oddsRatioLogLR(2, 3, 2, 1, [Math.log(3)])[0]).toBeCloseTo(0, 12);
  });

  it("carries no evidence without events, or when every trial is an event", () => {
    expect(oddsRatioLogLR(100, 900, 0, 0, [Math.log(4)])).toEqual([0]);
    expect(oddsRatioLogLR(5, 5, 10, 5, [Math.log(4)])[0]).toBe(0);
  });

  it("multiplies over spans and mixes over the grid at the end (not span by span)", () => {
    const p = new OddsRatioEProcess([2, 4]);
    p.add(1, 1, 1, 0);
    p.add(1, 1, 1, 0);
    // ψ = 2: (4/3)²; ψ = 4: (8/5)²
    expect(p.logE()).toBeCloseTo(Math.log(((4 / 3) ** 2 + (8 / 5) ** 2) / 2), 12);
    p.add(0, 0, 10, 3); // no canary trials: nothing learned
    expect(p.logE()).toBeCloseTo(Math.log(((4 / 3) ** 2 + (8 / 5) ** 2) / 2), 12);
  });

  it("logMeanExp is stable for large values", () => {
    expect(logMeanExp([1000, 1000])).toBeCloseTo(1000, 9);
    expect(logMeanExp([0, Math.log(3)], [0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
  });
});
