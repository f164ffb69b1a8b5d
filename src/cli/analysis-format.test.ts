import { describe, expect, it } from "vitest";
import type { AnalysisRunState } from "../core/analysis.js";
import { analysisLines } from "./analysis-format.js";

describe("analysis in tandem status", () => {
  it("shows the phase, and each metric's latest value, verdict and why", () => {
    const run: AnalysisRunState = {
      spec: {
        templates: ["golden"],
        interval: 1000,
        failureLimit: 0,
        consecutiveSuccessLimit: 0,
        inconclusiveLimit: 0,
        consecutiveErrorLimit: 4,
        dryRun: false,
        onInconclusive: "pause",
        metrics: [
          {
            name: "errors",
            provider: { type: "builtin", metric: "error_rate", quantile: 0.99 },
            successCondition: "< 0.01",
          },
          {
            name: "p99",
            provider: { type: "builtin", metric: "latency", quantile: 0.99 },
            successCondition: "< 250",
          },
        ],
      },
      kind: "step",
      startedAt: 0,
      tallies: {
        errors: {
          measurements: 2,
          successful: 1,
          failed: 1,
          inconclusive: 0,
          errors: 0,
          consecutiveSuccess: 0,
          consecutiveErrors: 0,
          last: {
            metric: "errors",
            at: 2000,
            value: 0.03,
            verdict: "failed",
            reason: "0.03: not < 0.01 (successCondition)",
          },
        },
      },
      history: [],
      phase: "failed",
      reason: "errors failed 1 time(s) (failureLimit 0)",
    };
    expect(analysisLines(run, "")).toEqual([
      "analysis golden: failed — errors failed 1 time(s) (failureLimit 0)",
      "  errors = 0.03: failed (0.03: not < 0.01 (successCondition)) [2 looks, 1 failed]",
      "  p99: not measured yet",
    ]);
  });
});
