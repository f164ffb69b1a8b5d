import { describe, expect, it } from "vitest";
import { parseConfig } from "./loader.js";
import { FILE, problems, yaml } from "./test-helpers.js";

const base = (analysis: string, canary: string) => yaml`
project: shop
analysis:
${analysis}
services:
  api:
    target: { type: sim }
    router: { type: builtin, listen: 8080 }
    strategy:
      canary:
${canary}
`;

describe("analysis configuration", () => {
  it("parses templates with defaults, steps, background analysis and pause auto", () => {
    const config = parseConfig(
      base(
        `  golden:
    interval: 5s
    count: 10
    metrics:
      - { name: errors, provider: { type: builtin, metric: error_rate }, successCondition: "< 0.01" }
      - { name: latency, provider: { type: builtin, metric: latency, quantile: p90 }, compare: baseline, maxIncrease: 20% }
      - { name: errs, provider: { type: builtin, metric: error_rate }, compare: baseline, maxIncrease: { absolute: 1% }, confidence: 0.99 }`,
        `        analysis: { templates: [golden], dryRun: true }
        steps:
          - { setWeight: 10 }
          - { analysis: golden, name: check }
          - { pause: { duration: 5m, auto: true } }`,
      ),
      FILE,
    );
    const golden = config.analysis?.golden;
    expect(golden).toMatchObject({
      interval: 5000,
      count: 10,
      failureLimit: 0,
      consecutiveSuccessLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      dryRun: false,
      onInconclusive: "pause",
    });
    expect(golden?.metrics[0]).toEqual({
      name: "errors",
      provider: { type: "builtin", metric: "error_rate", quantile: 0.99 },
      successCondition: "< 0.01",
    });
    expect(golden?.metrics[1]?.compare).toEqual({
      metric: "latency",
      maxIncrease: { relative: 0.2 },
      alpha: 0.02,
      quantile: 0.9,
    });
    expect(golden?.metrics[2]?.compare?.maxIncrease).toEqual({ absolute: 0.01 });
    expect(golden?.metrics[2]?.compare?.alpha).toBeCloseTo(0.01);
    const strategy = config.services.api?.strategy;
    if (strategy?.type !== "canary") throw new Error("expected canary");
    expect(strategy.analysis).toEqual({ templates: ["golden"], overrides: { dryRun: true } });
    expect(strategy.steps[1]).toEqual({ analysis: { templates: ["golden"], overrides: {} }, name: "check" });
    expect(strategy.steps[2]).toEqual({ pause: { duration: 300_000, auto: true } });
  });

  it("reports unknown templates, provider types, bad conditions and misplaced fields with their place", () => {
    const found = problems(
      base(
        `  golden:
    metrics:
      - { name: errors, provider: { type: datadog }, successCondition: "< 0.01" }
      - { name: e2, provider: { type: builtin, metric: error_rate }, failureCondition: "about 3" }
      - { name: e3, provider: { type: builtin, metric: request_count }, compare: baseline }`,
        `        steps:
          - { setWeight: 10 }
          - { analysis: goldne }
          - { pause: { duration: 1m, auto: true } }`,
      ),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^5:43 analysis\.golden\.metrics\[0\]\.provider\.type: unknown metric provider type "datadog"/,
        ),
        expect.stringMatching(
          /analysis\.golden\.metrics\[1\]\.failureCondition: cannot read the condition "about 3"/,
        ),
        expect.stringMatching(/analysis\.golden\.metrics\[2\]\.compare: compare: baseline needs provider/),
        expect.stringMatching(
          /^16:25 services\.api\.strategy\.canary\.steps\[1\]\.analysis: unknown analysis template "goldne", did you mean "golden"\?/,
        ),
        expect.stringMatching(/steps\[2\]\.pause\.auto: pause auto ends early on the background analysis/),
      ]),
    );
  });

  it("checks other providers' fields through their factory", () => {
    const found = problems(
      base(
        `  golden:
    metrics:
      - { name: q, provider: { type: prometheus, address: "http://127.0.0.1:9090", query: "" }, successCondition: "< 1" }`,
        `        steps: [{ setWeight: 10 }, { analysis: golden }]`,
      ),
    );
    expect(found.join("\n")).toMatch(/analysis\.golden\.metrics\[0\]\.provider/);
  });

  it("checks template names in environment overrides too", () => {
    const text = `${base(
      `  golden:
    metrics:
      - { name: errors, provider: { type: builtin, metric: error_rate }, successCondition: "< 0.01" }`,
      `        steps: [{ setWeight: 10 }, { analysis: golden }]`,
    )}environments:
  staging: {}
  production:
    services:
      api:
        strategy: { canary: { steps: [{ setWeight: 10 }, { analysis: silver }] } }
`;
    expect(problems(text).join("\n")).toMatch(
      /environments\.production\.services\.api\.strategy\.canary\.steps\[1\]\.analysis: unknown analysis template "silver"/,
    );
  });
});
