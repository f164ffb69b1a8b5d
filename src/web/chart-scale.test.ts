import { describe, expect, it } from "vitest";
import { conditionThresholds, linearScale, metricSeries, niceMax, plotSeries } from "./chart-scale";
import type { AnalysisRun } from "./types";

describe("chart scales", () => {
  it("maps a domain onto a range", () => {
    const s = linearScale([0, 10], [100, 0]);
    expect(s(0)).toBe(100);
    expect(s(5)).toBe(50);
    expect(s(10)).toBe(0);
    expect(linearScale([3, 3], [0, 10])(3)).toBe(5);
  });

  it("rounds the top of an axis up to a readable number", () => {
    expect(niceMax(0.0042)).toBe(0.005);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(1.7)).toBe(2);
    expect(niceMax(0.21)).toBe(0.25);
    expect(niceMax(0)).toBe(1);
  });

  it("reads the thresholds of a condition", () => {
    expect(conditionThresholds("> 0.01")).toEqual([0.01]);
    expect(conditionThresholds("<= 250")).toEqual([250]);
    expect(conditionThresholds("0.1..0.5")).toEqual([0.1, 0.5]);
    expect(conditionThresholds("result.ok")).toEqual([]);
    expect(conditionThresholds(undefined)).toEqual([]);
  });
});

describe("metric series", () => {
  const provider = { type: "builtin", metric: "error_rate", quantile: 0.99 };
  const run: AnalysisRun = {
    kind: "step",
    phase: "running",
    startedAt: 0,
    tallies: {},
    spec: {
      templates: ["errors"],
      interval: 1000,
      failureLimit: 0,
      consecutiveSuccessLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      dryRun: false,
      onInconclusive: "pause",
      metrics: [
        { name: "error-rate", provider, failureCondition: "> 0.5" },
        { name: "latency", provider },
      ],
    },
    history: [
      { metric: "error-rate", at: 1000, value: 0.1, verdict: "successful", reason: "ok" },
      { metric: "latency", at: 1000, verdict: "error", reason: "no data" },
      { metric: "error-rate", at: 2000, value: 0.3, verdict: "successful", reason: "ok" },
    ],
  };

  it("gives each metric its measured values, its condition and its last verdict", () => {
    const [errors, latency] = metricSeries([run, undefined]);
    expect(errors).toMatchObject({
      metric: "error-rate",
      kind: "step",
      condition: "failure > 0.5",
      thresholds: [0.5],
      points: [
        { at: 1000, value: 0.1 },
        { at: 2000, value: 0.3 },
      ],
      last: { value: 0.3, verdict: "successful" },
    });
    expect(latency).toMatchObject({ points: [], last: { verdict: "error", reason: "no data" } });
  });

  it("plots values and the threshold in one scale", () => {
    const [errors] = metricSeries([run]);
    const box = { width: 200, height: 100, left: 20, right: 10, top: 10, bottom: 10 };
    const plot = plotSeries(errors!, box);
    expect(plot.yMax).toBe(0.5);
    expect(plot.dots).toEqual([
      { x: 20, y: 74 },
      { x: 190, y: 42 },
    ]);
    expect(plot.points).toBe("20,74 190,42");
    expect(plot.thresholds).toEqual([{ value: 0.5, y: 10 }]);
  });
});
