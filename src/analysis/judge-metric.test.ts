import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/index.js";
import { judgeMetric } from "./judge-metric.js";

const config = (metric: string) =>
  `project: shop
analysis:
  slo:
    metrics:
      - ${metric}
services:
  api:
    target: { type: sim }
    router: { type: builtin, listen: 18790 }
    strategy: { canary: { analysis: slo, steps: [{ setWeight: 10 }, { pause: 1m }] } }
`;

const sample = (requests: number, errors: number) => ({ requests, errors });

describe("maxErrorRate: the sequential error-rate objective", () => {
  const spec = parseConfig(
    config(
      "{ name: errors, provider: { type: builtin, metric: error_rate }, maxErrorRate: 1%, alpha: 0.01 }",
    ),
    "/tmp/judge/tandem.yaml",
  ).analysis!.slo!.metrics[0]!;

  it("is read from the template with its alpha", () => {
    expect(spec.sloTest).toEqual({ maxErrorRate: 0.01, alpha: 0.01 });
  });

  it("fails a version shown above the objective, passes one shown below, waits in between", () => {
    expect(judgeMetric(spec, { at: 0, value: 0.05, canary: sample(1_000, 50) }).verdict).toBe("failed");
    expect(judgeMetric(spec, { at: 0, value: 0.001, canary: sample(5_000, 5) }).verdict).toBe("successful");
    // 2 errors in 100 requests is 2%, but far too little evidence either way.
    expect(judgeMetric(spec, { at: 0, value: 0.02, canary: sample(100, 2) }).verdict).toBe("running");
    expect(judgeMetric(spec, { at: 0, value: Number.NaN }).verdict).toBe("inconclusive");
  });

  it("refuses combinations that make no sense, at their place", () => {
    expect(() =>
      parseConfig(
        config("{ name: p99, provider: { type: builtin, metric: latency }, maxErrorRate: 1% }"),
        "/tmp/judge/tandem.yaml",
      ),
    ).toThrow(/maxErrorRate needs provider \{ type: builtin, metric: error_rate \}/);
    expect(() =>
      parseConfig(
        config(
          '{ name: errors, provider: { type: builtin, metric: error_rate }, maxErrorRate: 1%, failureCondition: "> 0.01" }',
        ),
        "/tmp/judge/tandem.yaml",
      ),
    ).toThrow(/tandem\.yaml:5:\d+: .*maxErrorRate is a test of its own; drop failureCondition/);
  });
});
