import { describe, expect, it } from "vitest";
import type { AnalysisSpec, MetricRecord, MetricTally } from "../core/analysis.js";
import { assessRun, tallyRecord } from "./run.js";

function spec(overrides: Partial<AnalysisSpec> = {}): AnalysisSpec {
  return {
    templates: ["t"],
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
    ],
    ...overrides,
  };
}

function tallies(verdicts: MetricRecord["verdict"][], metric = "errors"): Record<string, MetricTally> {
  let tally: MetricTally | undefined;
  verdicts.forEach((verdict, i) => {
    tally = tallyRecord(tally, { metric, at: i, verdict, reason: `look ${i}: ${verdict}` });
  });
  return tally ? { [metric]: tally } : {};
}

describe("assessRun (Argo Rollouts semantics)", () => {
  it("is running before any measurement", () => {
    expect(assessRun(spec({ count: 3 }), {}).phase).toBe("running");
  });

  it("fails when failed measurements exceed failureLimit", () => {
    expect(assessRun(spec({ count: 5 }), tallies(["successful", "failed"])).phase).toBe("failed");
    const limit1 = spec({ count: 5, failureLimit: 1 });
    expect(assessRun(limit1, tallies(["failed", "successful"])).phase).toBe("running");
    const failed = assessRun(limit1, tallies(["failed", "successful", "failed"]));
    expect(failed.phase).toBe("failed");
    expect(failed.reason).toContain("failed 2 time(s) (failureLimit 1)");
    expect(failed.metric).toBe("errors");
  });

  it("succeeds after count measurements without failing", () => {
    const s = spec({ count: 3, failureLimit: 1 });
    expect(assessRun(s, tallies(["successful", "failed"])).phase).toBe("running");
    expect(assessRun(s, tallies(["successful", "failed", "successful"])).phase).toBe("successful");
  });

  it("succeeds when consecutiveSuccessLimit is reached", () => {
    const s = spec({ consecutiveSuccessLimit: 2, failureLimit: 3 });
    expect(assessRun(s, tallies(["successful", "failed", "successful"])).phase).toBe("running");
    expect(assessRun(s, tallies(["successful", "failed", "successful", "successful"])).phase).toBe(
      "successful",
    );
  });

  it("is inconclusive when inconclusive measurements exceed inconclusiveLimit", () => {
    expect(assessRun(spec({ count: 5 }), tallies(["inconclusive"])).phase).toBe("inconclusive");
    const s = spec({ count: 5, inconclusiveLimit: 1 });
    expect(assessRun(s, tallies(["inconclusive", "successful"])).phase).toBe("running");
    expect(assessRun(s, tallies(["inconclusive", "inconclusive"])).phase).toBe("inconclusive");
  });

  it("is an error after more than consecutiveErrorLimit errors in a row", () => {
    const s = spec({ count: 20, consecutiveErrorLimit: 2 });
    expect(assessRun(s, tallies(["error", "error", "successful", "error", "error"])).phase).toBe("running");
    const run = assessRun(s, tallies(["error", "error", "error"]));
    expect(run.phase).toBe("error");
    expect(run.reason).toContain("3 times in a row");
  });

  it("dryRun records but never fails", () => {
    const s = spec({ count: 2, dryRun: true });
    const run = assessRun(s, tallies(["failed"]));
    expect(run.phase).toBe("running");
    expect(run.wouldBe).toBe("failed");
    expect(assessRun(s, tallies(["failed", "failed"])).reason).toContain("dry run: would be failed");
  });

  it("a comparison is done when the sequential judge says not worse, inconclusive if undecided at count", () => {
    const s = spec({
      count: 3,
      metrics: [
        {
          name: "errors",
          provider: { type: "builtin", metric: "error_rate", quantile: 0.99 },
          compare: { metric: "error_rate", maxIncrease: { relative: 0.2 } },
        },
      ],
    });
    expect(assessRun(s, tallies(["running", "running"])).phase).toBe("running");
    expect(assessRun(s, tallies(["running", "successful"])).phase).toBe("successful");
    expect(assessRun(s, tallies(["running", "running", "running"])).phase).toBe("inconclusive");
    expect(assessRun(s, tallies(["running", "failed"])).phase).toBe("failed");
  });

  it("a step without count ends after a successful look; a background run goes on", () => {
    expect(assessRun(spec(), tallies(["successful"])).phase).toBe("successful");
    expect(assessRun(spec(), tallies(["successful"]), "background").phase).toBe("running");
    expect(assessRun(spec(), tallies(["failed"]), "background").phase).toBe("failed");
  });

  it("the worst metric decides", () => {
    const s = spec({
      count: 2,
      metrics: [
        {
          name: "a",
          provider: { type: "builtin", metric: "error_rate", quantile: 0.99 },
          successCondition: "< 1",
        },
        {
          name: "b",
          provider: { type: "builtin", metric: "error_rate", quantile: 0.99 },
          successCondition: "< 1",
        },
      ],
    });
    const both = { ...tallies(["successful", "successful"], "a"), ...tallies(["inconclusive"], "b") };
    expect(assessRun(s, both).phase).toBe("inconclusive");
    expect(assessRun(s, both).metric).toBe("b");
  });
});
