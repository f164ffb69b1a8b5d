import { describe, expect, it } from "vitest";
import { compareJudge, fixedWindowJudge } from "../../analysis/judges/index.js";
import type { Measurement } from "../../analysis/types.js";
import { runRollout } from "../run-rollout.js";
import type { TrafficSpec } from "../traffic.js";
import { fixedWindowPolicy } from "./fixed-window.js";
import { flaggerPolicy } from "./flagger.js";
import { tandemPolicy } from "./tandem.js";
import type { CompareJudge } from "./types.js";

const fast = { latency: { medianMs: 20, sigma: 0.1 } };
/** 10 requests a second; the baseline never fails. */
const traffic = (canaryErrorRate: number, ratePerSecond = 10): TrafficSpec => ({
  ratePerSecond,
  baseline: { errorRate: 0, ...fast },
  canary: { errorRate: canaryErrorRate, ...fast },
});
const weights = (timeline: { at: number; weight: number }[]) => timeline.map((e) => [e.at / 1000, e.weight]);

describe("Flagger's policy", () => {
  it("promotes after passing checks at 10, 20, 30, 40 and 50% (interval × maxWeight/stepWeight = 5 min)", () => {
    const out = runRollout(flaggerPolicy(), traffic(0), 1, { horizonMs: 600_000 });
    expect(out.decision).toBe("promoted");
    expect(out.verdictAtMs).toBe(300_000);
    expect(weights(out.timeline)).toEqual([
      [0, 10],
      [60, 20],
      [120, 30],
      [180, 40],
      [240, 50],
      [300, 100],
    ]);
    expect(out.failedRequests).toBe(0);
  });

  it("rolls back on the 5th failed check (interval × threshold = 5 min), holding the weight at 10%", () => {
    // Every canary request fails: success rate 0% < 99% at each check.
    const out = runRollout(flaggerPolicy(), traffic(1), 1, { horizonMs: 600_000 });
    expect(out.decision).toBe("rolled_back");
    expect(out.verdictAtMs).toBe(300_000);
    expect(weights(out.timeline)).toEqual([
      [0, 10],
      [300, 0],
    ]);
    expect(out.reason).toMatch(/failed checks threshold reached \(5\)/);
    // Every canary request before the rollback failed because of the canary, and none after.
    expect(out.failedRequests).toBe(out.canaryRequests);
    expect(out.canaryRequests).toBeGreaterThan(200); // about 10% of 3000
    expect(out.canaryRequests).toBeLessThan(400);
  });

  it("counts a check without traffic as failed (no values found), as Flagger's controller does", () => {
    const out = runRollout(flaggerPolicy(), traffic(0, 0), 1, { horizonMs: 600_000 });
    expect(out.decision).toBe("rolled_back");
    expect(out.verdictAtMs).toBe(300_000);
    expect(out.reason).toMatch(/no values found/);
  });

  it("does not reset failed checks after a pass: fails count toward the threshold across steps", () => {
    // 3% errors at 10 rps: the canary's 60-600 requests a minute fail 99% most minutes.
    const out = runRollout(flaggerPolicy(), traffic(0.03), 2, { horizonMs: 1_800_000 });
    expect(out.decision).toBe("rolled_back");
    expect(out.verdictAtMs! % 60_000).toBe(0);
    expect(out.verdictAtMs).toBeGreaterThanOrEqual(300_000);
  });

  it("fails the request-duration check when P99 is over 500 ms", () => {
    const slow: TrafficSpec = {
      ratePerSecond: 10,
      baseline: { errorRate: 0, ...fast },
      canary: { errorRate: 0, latency: { medianMs: 800, sigma: 0.1 } },
    };
    const out = runRollout(flaggerPolicy(), slow, 1, { horizonMs: 600_000 });
    expect(out.decision).toBe("rolled_back");
    expect(out.reason).toMatch(/request duration \d+ms > 500ms/);
    expect(runRollout(flaggerPolicy({ maxP99Ms: null }), slow, 1).decision).toBe("promoted");
  });
});

/** A stub judge: `failed` when the canary's error rate is over 10%, `successful` when it has >= 100 requests. */
const stubJudge: CompareJudge = (_spec, m: Measurement) => {
  const c = m.canary!;
  if (c.requests > 0 && c.errors / c.requests > 0.1) return { verdict: "failed", reason: "worse" };
  if (c.requests >= 100) return { verdict: "successful", reason: "not worse" };
  return { verdict: "running", reason: "not yet" };
};
const errorsOnly = [{ metric: "error_rate" as const, maxIncrease: { absolute: 0.01 } }];

describe("fixed-window (Kayenta-style) policy", () => {
  it("judges once per 5-minute window and promotes after 5, 25 and 50%", () => {
    const out = runRollout(fixedWindowPolicy({ metrics: errorsOnly, judge: stubJudge }), traffic(0), 1);
    expect(out.decision).toBe("promoted");
    expect(weights(out.timeline)).toEqual([
      [0, 5],
      [300, 25],
      [600, 50],
      [900, 100],
    ]);
  });

  it("rolls back at the end of the first window, not before, when the judge says worse", () => {
    const seen: number[] = [];
    const judge: CompareJudge = (spec, m) => {
      seen.push(m.at);
      return stubJudge(spec, m);
    };
    const out = runRollout(fixedWindowPolicy({ metrics: errorsOnly, judge }), traffic(1), 1);
    expect(out.decision).toBe("rolled_back");
    expect(out.verdictAtMs).toBe(300_000);
    expect(seen).toEqual([300_000]);
  });

  it("judges each window on that window's traffic only", () => {
    const sizes: number[] = [];
    const judge: CompareJudge = (_spec, m) => {
      sizes.push(m.canary!.requests + m.baseline!.requests);
      return { verdict: "running", reason: "" };
    };
    runRollout(fixedWindowPolicy({ metrics: errorsOnly, judge }), traffic(0), 1);
    expect(sizes).toHaveLength(3);
    for (const n of sizes) expect(Math.abs(n - 3000)).toBeLessThan(250);
  });
});

describe("Tandem's policy", () => {
  it("advances as soon as each step's own traffic is judged not worse, and rolls back at the first failed look", () => {
    const good = runRollout(tandemPolicy({ metrics: errorsOnly, judge: stubJudge }), traffic(0, 100), 1);
    expect(good.decision).toBe("promoted");
    // 100 rps: 5% gives 100 canary requests in about 20 s, 25% in 10 s, 50% in 10 s.
    expect(good.timeline.map((e) => e.weight)).toEqual([5, 25, 50, 100]);
    expect(good.verdictAtMs).toBeLessThanOrEqual(60_000);
    const bad = runRollout(tandemPolicy({ metrics: errorsOnly, judge: stubJudge }), traffic(1, 100), 1);
    expect(bad.decision).toBe("rolled_back");
    expect(bad.verdictAtMs).toBe(10_000);
  });

  it("ends a pause at maxPauseMs when the judge keeps saying not yet", () => {
    const judge: CompareJudge = () => ({ verdict: "running", reason: "" });
    const out = runRollout(tandemPolicy({ metrics: errorsOnly, judge, maxPauseMs: 60_000 }), traffic(0), 1);
    expect(weights(out.timeline)).toEqual([
      [0, 5],
      [60, 25],
      [120, 50],
      [180, 100],
    ]);
  });

  it("with promoteOn evidence, holds the last step until the judge says not worse", () => {
    const judge: CompareJudge = (_spec, m) => ({
      verdict: m.at >= 610_000 ? "successful" : "running",
      reason: "",
    });
    const options = { metrics: errorsOnly, judge, maxPauseMs: 60_000, promoteOn: "evidence" as const };
    const out = runRollout(tandemPolicy(options), traffic(0), 1);
    // The 5% and 25% steps end on their 1-minute timeout; the 50% step waits past its timeout (180 s)
    // for the first "not worse", at 610 s.
    expect(weights(out.timeline)).toEqual([
      [0, 5],
      [60, 25],
      [120, 50],
      [610, 100],
    ]);
  });
});

describe("the policies with the real judges", () => {
  const base = { errorRate: 0.005, latency: { medianMs: 50, sigma: 0.5 } };
  const metrics = [
    { metric: "error_rate" as const, maxIncrease: { absolute: 0.01 }, alpha: 0.005 },
    { metric: "latency" as const, maxIncrease: { relative: 0.2 }, alpha: 0.005 },
  ];
  const rollbackMetrics = metrics.map((m) => ({ ...m, maxIncrease: {} }));
  const spec = (canary: typeof base & { latencyMultiplier?: number }): TrafficSpec => ({
    ratePerSecond: 100,
    baseline: base,
    canary,
  });

  it("tandem rolls back 5% errors at 5% weight within two minutes and promotes a good version", () => {
    const bad = runRollout(
      tandemPolicy({ metrics, rollbackMetrics, judge: compareJudge }),
      spec({ ...base, errorRate: 0.05 }),
      11,
    );
    expect(bad.decision).toBe("rolled_back");
    expect(bad.verdictAtMs).toBeLessThanOrEqual(120_000);
    expect(bad.timeline.map((e) => e.weight)).toEqual([5, 0]);
    const good = runRollout(tandemPolicy({ metrics, rollbackMetrics, judge: compareJudge }), spec(base), 11);
    expect(good.decision).toBe("promoted");
    expect(good.failedRequests).toBe(0);
  });

  it("the fixed window judges a 50% slower canary worse at the end of its first window", () => {
    const out = runRollout(
      fixedWindowPolicy({
        metrics: rollbackMetrics.map((m) => ({ ...m, alpha: 0.02 })),
        judge: fixedWindowJudge,
      }),
      spec({ ...base, latencyMultiplier: 1.5 }),
      11,
    );
    expect(out.decision).toBe("rolled_back");
    expect(out.verdictAtMs).toBe(300_000);
    expect(out.reason).toMatch(/^latency/);
  });
});
