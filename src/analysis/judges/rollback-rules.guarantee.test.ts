import { describe, expect, it } from "vitest";
import type { LatencyHistogram } from "../../routers/types.js";
import { binomial, poisson, type Random, seeded } from "../stats/random.js";
import type { Measurement, MetricVerdict, Verdict } from "../types.js";
import { ConditionalComparison } from "./conditional.js";
import { sequentialThresholdJudge } from "./sequential-threshold.js";

/**
 * Monte Carlo checks of the rollback rules that make low traffic fast (docs/analysis-method.md, "Faster
 * at low traffic"): the conditional comparison and the sequential threshold test. Over a whole
 * rollout of looks, a version that is not worse (or at its threshold) is failed with probability at
 * most alpha; a bad one is caught. Seeded, so the numbers are the same on every run.
 */

const ALPHA = 0.02;
const MARGIN = 0.015; // about 2.5 standard errors of a rate near 0.02 over 500 runs

interface Traffic {
  rate: number;
  canaryShare: number;
  baselineErrorRate: number;
  canaryErrorRate: number;
  lookSeconds: number;
  looks: number;
}

/** Looks until `judge` fails; returns the share of runs failed and the median look of the failures. */
function rollouts(runs: number, seed: number, t: Traffic, judge: () => (m: Measurement) => MetricVerdict) {
  let failed = 0;
  const looks: number[] = [];
  for (let run = 0; run < runs; run++) {
    const random = seeded(seed + run);
    const observe = judge();
    const canary = { requests: 0, errors: 0 };
    const baseline = { requests: 0, errors: 0 };
    for (let look = 1; look <= t.looks; look++) {
      const nc = poisson(random, t.rate * t.canaryShare * t.lookSeconds);
      const nb = poisson(random, t.rate * (1 - t.canaryShare) * t.lookSeconds);
      canary.requests += nc;
      canary.errors += binomial(random, nc, t.canaryErrorRate);
      baseline.requests += nb;
      baseline.errors += binomial(random, nb, t.baselineErrorRate);
      if (observe({ at: look, canary: { ...canary }, baseline: { ...baseline } }).verdict === "failed") {
        failed++;
        looks.push(look);
        break;
      }
    }
  }
  looks.sort((a, b) => a - b);
  return { failed: failed / runs, median: looks[looks.length >> 1] ?? Number.NaN };
}

const conditional = (alpha = ALPHA) => {
  return () => {
    const test = new ConditionalComparison({ metric: "error_rate", maxIncrease: {}, alpha });
    return (m: Measurement) => test.observe(m);
  };
};
const threshold = () => (m: Measurement) => sequentialThresholdJudge({ maxErrorRate: 0.01, alpha: ALPHA }, m);

describe("conditional comparison: guarantees by simulation", () => {
  it("a good version is falsely failed in at most alpha of 500 rollouts of 90 looks (10 requests/s, 5% canary)", () => {
    const t = {
      rate: 10,
      canaryShare: 0.05,
      baselineErrorRate: 0.05,
      canaryErrorRate: 0.05,
      lookSeconds: 10,
      looks: 90,
    };
    expect(rollouts(500, 10_000, t, conditional()).failed).toBeLessThanOrEqual(ALPHA + MARGIN);
  });

  it("... and with a 50% canary and many errors (the null's boundary is the same for any split)", () => {
    const t = {
      rate: 20,
      canaryShare: 0.5,
      baselineErrorRate: 0.1,
      canaryErrorRate: 0.1,
      lookSeconds: 10,
      looks: 90,
    };
    expect(rollouts(500, 11_000, t, conditional()).failed).toBeLessThanOrEqual(ALPHA + MARGIN);
  });

  it("a better canary is failed even less often", () => {
    const t = {
      rate: 20,
      canaryShare: 0.5,
      baselineErrorRate: 0.1,
      canaryErrorRate: 0.07,
      lookSeconds: 10,
      looks: 90,
    };
    expect(rollouts(300, 12_000, t, conditional()).failed).toBeLessThanOrEqual(ALPHA);
  });

  it("a bad version (0.5% → 5%) with a 5% canary at 10 requests/s is caught, median within 7 minutes", () => {
    const t = {
      rate: 10,
      canaryShare: 0.05,
      baselineErrorRate: 0.005,
      canaryErrorRate: 0.05,
      lookSeconds: 10,
      looks: 180,
    };
    const r = rollouts(200, 13_000, t, conditional(0.005));
    expect(r.failed).toBeGreaterThanOrEqual(0.97);
    expect(r.median).toBeLessThanOrEqual(42);
  });

  it("latency: a good version is falsely failed in at most alpha of 200 rollouts; a 2× slower one is caught", () => {
    const bounds = [5, 10, 25, 50, 100, 250];
    const draw = (random: Random, scale: number) => {
      const u = Math.max(random(), 1e-12);
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
      return 10 * scale * Math.exp(0.5 * z);
    };
    const add = (h: LatencyHistogram, ms: number) => {
      const i = bounds.findIndex((b) => ms <= b);
      const j = i < 0 ? bounds.length : i;
      h.counts[j] = (h.counts[j] ?? 0) + 1;
    };
    const run = (seed: number, scale: number): Verdict => {
      const random = seeded(seed);
      const test = new ConditionalComparison({ metric: "latency", maxIncrease: {}, alpha: ALPHA });
      const hc = { boundsMs: bounds, counts: bounds.map(() => 0).concat(0) };
      const hb = { boundsMs: bounds, counts: bounds.map(() => 0).concat(0) };
      for (let look = 1; look <= 40; look++) {
        for (let i = 0; i < 10; i++) add(hc, draw(random, scale));
        for (let i = 0; i < 90; i++) add(hb, draw(random, 1));
        const m = {
          at: look,
          canary: { requests: 0, errors: 0, latency: hc },
          baseline: { requests: 0, errors: 0, latency: hb },
        };
        const { verdict } = test.observe(m);
        if (verdict === "failed") return verdict;
      }
      return "running";
    };
    const good = Array.from({ length: 200 }, (_, i) => run(14_000 + i, 1));
    expect(good.filter((v) => v === "failed").length / 200).toBeLessThanOrEqual(ALPHA + MARGIN);
    const slow = Array.from({ length: 50 }, (_, i) => run(15_000 + i, 2));
    expect(slow.every((v) => v === "failed")).toBe(true);
  });
});

describe("sequential threshold test: guarantees by simulation", () => {
  const at = (canaryErrorRate: number, looks = 90) => ({
    rate: 10,
    canaryShare: 0.5,
    baselineErrorRate: 0,
    canaryErrorRate,
    lookSeconds: 10,
    looks,
  });

  it("a canary exactly at the threshold (1%) is failed in at most alpha of 500 rollouts of 90 looks", () => {
    expect(rollouts(500, 16_000, at(0.01), threshold).failed).toBeLessThanOrEqual(ALPHA + MARGIN);
  });

  it("a canary at 5% is failed in every one of 200 rollouts, median within 3 minutes at 5 requests/s", () => {
    const r = rollouts(200, 17_000, at(0.05), threshold);
    expect(r.failed).toBe(1);
    expect(r.median).toBeLessThanOrEqual(18);
  });
});
