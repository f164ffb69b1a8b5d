import { describe, expect, it } from "vitest";
import type { LatencyHistogram } from "../../routers/types.js";
import { binomial, poisson, type Random, seeded } from "../stats/random.js";
import type { Verdict } from "../types.js";
import { compareJudge } from "./sequential.js";
import type { CompareSpec } from "./types.js";

/**
 * Monte Carlo check of the sequential judge's guarantee: over a whole rollout of looks, a version no
 * worse than allowed is rolled back with probability at most alpha, and a bad one is caught quickly.
 * Seeded, so the numbers are the same on every run.
 */

interface Traffic {
  /** Requests per second, both versions together, and the canary's share of them. */
  rate: number;
  canaryShare: number;
  baselineErrorRate: number;
  canaryErrorRate: number;
  lookSeconds: number;
  looks: number;
}

/** Runs looks until the judge decides; returns the verdict and the look (1-based) it came at. */
function rollout(seed: number, spec: CompareSpec, t: Traffic): { verdict: Verdict; look: number } {
  const random = seeded(seed);
  const canary = { requests: 0, errors: 0 };
  const baseline = { requests: 0, errors: 0 };
  for (let look = 1; look <= t.looks; look++) {
    const nc = poisson(random, t.rate * t.canaryShare * t.lookSeconds);
    const nb = poisson(random, t.rate * (1 - t.canaryShare) * t.lookSeconds);
    canary.requests += nc;
    canary.errors += binomial(random, nc, t.canaryErrorRate);
    baseline.requests += nb;
    baseline.errors += binomial(random, nb, t.baselineErrorRate);
    const { verdict } = compareJudge(spec, { at: look, canary: { ...canary }, baseline: { ...baseline } });
    if (verdict === "failed" || verdict === "successful") return { verdict, look };
  }
  return { verdict: "running", look: t.looks };
}

function many(runs: number, seed: number, spec: CompareSpec, t: Traffic) {
  const outcomes = Array.from({ length: runs }, (_, i) => rollout(seed + i, spec, t));
  const share = (v: Verdict) => outcomes.filter((o) => o.verdict === v).length / runs;
  const looks = outcomes.filter((o) => o.verdict === "failed").map((o) => o.look);
  looks.sort((a, b) => a - b);
  const median = looks[looks.length >> 1] ?? 0;
  return { failed: share("failed"), successful: share("successful"), maxLook: Math.max(0, ...looks), median };
}

const ALPHA = 0.02;
const MARGIN = 0.015; // about 2.5 standard errors of a rate near 0.02 over 500 runs
const hundredPerSecond = { rate: 100, lookSeconds: 10, baselineErrorRate: 0.005 };

describe("sequential judge: guarantees by simulation", () => {
  it("a good version is falsely failed in at most alpha of 500 rollouts of 90 looks (15 minutes) (no allowance: the tightest case)", () => {
    const spec: CompareSpec = { metric: "error_rate", maxIncrease: {}, alpha: ALPHA };
    const t = { ...hundredPerSecond, canaryShare: 0.5, canaryErrorRate: 0.005, looks: 90 };
    expect(many(500, 1_000, spec, t).failed).toBeLessThanOrEqual(ALPHA + MARGIN);
  });

  it("a version exactly at the allowance is called not worse in at most alpha of 500 rollouts", () => {
    const spec: CompareSpec = { metric: "error_rate", maxIncrease: { absolute: 0.01 }, alpha: ALPHA };
    const t = { ...hundredPerSecond, canaryShare: 0.5, canaryErrorRate: 0.015, looks: 90 };
    expect(many(500, 2_000, spec, t).successful).toBeLessThanOrEqual(ALPHA + MARGIN);
  });

  it("a good version is promoted early once the allowance (1% absolute) can be shown", () => {
    const spec: CompareSpec = { metric: "error_rate", maxIncrease: { absolute: 0.01 }, alpha: ALPHA };
    const t = { ...hundredPerSecond, canaryShare: 0.1, canaryErrorRate: 0.005, looks: 120 };
    const r = many(200, 3_000, spec, t);
    expect(r.successful).toBe(1);
  });

  it("a bad version (0.5% → 2%) at 100 requests/s is caught: median within 3 minutes, all within 10, with a 10% canary", () => {
    const spec: CompareSpec = { metric: "error_rate", maxIncrease: { relative: 0.2 }, alpha: ALPHA };
    const t = { ...hundredPerSecond, canaryShare: 0.1, canaryErrorRate: 0.02, looks: 120 };
    const r = many(200, 4_000, spec, t);
    expect(r.failed).toBe(1);
    expect(r.median).toBeLessThanOrEqual(18); // looks of 10 s
    expect(r.maxLook).toBeLessThanOrEqual(60);
  });

  it("latency: a good version is falsely failed in at most alpha of 200 rollouts; a 2× slower one is caught", () => {
    const bounds = [5, 10, 25, 50, 100, 250];
    // latency ~ 10 · e^{N(0, 0.5)} ms for the baseline, ×2 for the slow canary
    const draw = (random: Random, scale: number) => {
      const u = Math.max(random(), 1e-12);
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
      return 10 * scale * Math.exp(0.5 * z);
    };
    const add = (h: LatencyHistogram, ms: number) => {
      const i = bounds.findIndex((b) => ms <= b);
      h.counts[i < 0 ? bounds.length : i] = (h.counts[i < 0 ? bounds.length : i] ?? 0) + 1;
    };
    const spec: CompareSpec = { metric: "latency", maxIncrease: { relative: 0.2 }, alpha: ALPHA };
    const run = (seed: number, scale: number): Verdict => {
      const random = seeded(seed);
      const hc = { boundsMs: bounds, counts: bounds.map(() => 0).concat(0) };
      const hb = { boundsMs: bounds, counts: bounds.map(() => 0).concat(0) };
      for (let look = 1; look <= 40; look++) {
        for (let i = 0; i < 100; i++) add(hc, draw(random, scale));
        for (let i = 0; i < 100; i++) add(hb, draw(random, 1));
        const m = {
          at: look,
          canary: { requests: 0, errors: 0, latency: hc },
          baseline: { requests: 0, errors: 0, latency: hb },
        };
        const { verdict } = compareJudge(spec, m);
        if (verdict === "failed" || verdict === "successful") return verdict;
      }
      return "running";
    };
    const good = Array.from({ length: 200 }, (_, i) => run(5_000 + i, 1));
    expect(good.filter((v) => v === "failed").length / 200).toBeLessThanOrEqual(ALPHA + MARGIN);
    const slow = Array.from({ length: 50 }, (_, i) => run(6_000 + i, 2));
    expect(slow.every((v) => v === "failed")).toBe(true);
  });
});
