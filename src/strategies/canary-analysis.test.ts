import { describe, expect, it } from "vitest";
import type { AnalysisTemplateConfig } from "../core/analysis.js";
import { estimateDuration, planCanary } from "./index.js";

const golden: AnalysisTemplateConfig = {
  interval: 5_000,
  count: 4,
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
  ],
};

describe("canary analysis steps", () => {
  it("resolve their templates with the overrides, and count in the least duration", () => {
    const steps = planCanary(
      [{ setWeight: 10 }, { analysis: { templates: ["golden"], overrides: { count: 2, dryRun: true } } }],
      2,
      { golden },
    );
    const analysis = steps.find((s) => s.type === "analysis");
    expect(analysis).toEqual({
      type: "analysis",
      analysis: { ...golden, count: 2, dryRun: true, templates: ["golden"] },
    });
    expect(estimateDuration(steps).minMs).toBe(10_000);
  });

  it("keep pause auto, and refuse an unknown template", () => {
    const steps = planCanary([{ setWeight: 10 }, { pause: { duration: 60_000, auto: true } }], 2);
    expect(steps.find((s) => s.type === "pause")).toMatchObject({ duration: 60_000, auto: true });
    expect(() => planCanary([{ analysis: { templates: ["nope"], overrides: {} } }], 2, { golden })).toThrow(
      /unknown analysis template "nope"/,
    );
  });
});
