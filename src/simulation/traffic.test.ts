import { describe, expect, it } from "vitest";
import { seeded } from "../analysis/stats/random.js";
import { LATENCY_BOUNDS_MS } from "../routers/builtin/stats.js";
import { interpolatedQuantile } from "../routers/histogram.js";
import {
  bucketProbabilities,
  normalQuantile,
  poisson,
  simulateTraffic,
  type TrafficSpec,
  TrafficTrace,
} from "./traffic.js";

const spec: TrafficSpec = {
  ratePerSecond: 100,
  baseline: { errorRate: 0.005, latency: { medianMs: 50, sigma: 0.6 } },
  canary: { errorRate: 0.05, latency: { medianMs: 50, sigma: 0.6 }, latencyMultiplier: 1.5 },
};

describe("traffic simulator", () => {
  it("reproduces a trace exactly from its seed, and another seed gives another trace", () => {
    const run = (seed: number) =>
      simulateTraffic(spec, seed, {
        weightAt: (t) => (t < 60_000 ? 10 : 50),
        intervalMs: 10_000,
        durationMs: 120_000,
      });
    expect(run(42)).toEqual(run(42));
    expect(run(43)).not.toEqual(run(42));
  });

  it("routes the requests the same way for the same seed whatever other policies did before", () => {
    const a = new TrafficTrace(spec, 7);
    const b = new TrafficTrace(spec, 7);
    // The same weights give the same ticks; a different weight changes only who serves, not how many came.
    const ta = a.next(20);
    const tb = b.next(80);
    expect(ta.canary.requests + ta.baseline.requests).toBe(tb.canary.requests + tb.baseline.requests);
    expect(tb.canary.requests).toBeGreaterThan(ta.canary.requests);
    expect(a.next(50)).toEqual(b.next(50));
  });

  it("matches the rate, the weight, the error rates and the latency buckets within tolerance", () => {
    const [all] = simulateTraffic(spec, 1, { weightAt: () => 25, intervalMs: 600_000, durationMs: 600_000 });
    const c = all!.canary;
    const b = all!.baseline;
    const n = c.requests + b.requests; // expected 60 000
    expect(Math.abs(n - 60_000)).toBeLessThan(4 * Math.sqrt(60_000));
    expect(Math.abs(c.requests / n - 0.25)).toBeLessThan(0.01);
    expect(Math.abs(c.errors / c.requests - 0.05)).toBeLessThan(0.005);
    expect(Math.abs(b.errors / b.requests - 0.005)).toBeLessThan(0.0015);
    // Excess errors: canary requests with 0.005 <= e < 0.05, about 4.5% of the canary's requests.
    expect(Math.abs(all!.canaryExcessErrors / c.requests - 0.045)).toBeLessThan(0.005);
    expect(c.latency.boundsMs).toEqual([...LATENCY_BOUNDS_MS]);
    expect(c.latency.counts.reduce((x, y) => x + y, 0)).toBe(c.requests);
    const expected = bucketProbabilities(spec.canary);
    c.latency.counts.forEach((count, i) => {
      const p = expected[i]!;
      expect(Math.abs(count - p * c.requests)).toBeLessThan(5 * Math.sqrt(p * c.requests) + 2);
    });
    // Median of the baseline's buckets near 50 ms, the canary's near 75 ms (coarse buckets: loose).
    expect(interpolatedQuantile(0.5, b.latency)).toBeGreaterThan(40);
    expect(interpolatedQuantile(0.5, b.latency)).toBeLessThan(60);
    expect(interpolatedQuantile(0.5, c.latency)).toBeGreaterThan(interpolatedQuantile(0.5, b.latency));
  });

  it("gives the canary nothing at weight 0 and everything at weight 100, and nothing at rate 0", () => {
    const t = new TrafficTrace(spec, 3);
    expect(t.next(0).canary.requests).toBe(0);
    expect(t.next(100).baseline.requests).toBe(0);
    const idle = new TrafficTrace({ ...spec, ratePerSecond: 0 }, 3).next(50);
    expect(idle.canary.requests + idle.baseline.requests).toBe(0);
  });

  it("keeps cumulative totals equal to the sum of the intervals", () => {
    const out = simulateTraffic(spec, 9, { weightAt: () => 50, intervalMs: 5_000, durationMs: 60_000 });
    expect(out).toHaveLength(12);
    const sum = out.reduce((s, i) => s + i.canary.errors, 0);
    expect(out.at(-1)!.canaryTotal.errors).toBe(sum);
  });
});

describe("helpers", () => {
  it("the seeded PRNG (mulberry32) is pinned (a change would change every benchmark trace)", () => {
    const r = seeded(1);
    expect(Math.floor(r() * 2 ** 32)).toBe(2693262067);
  });

  it("poisson has the right mean and normalQuantile inverts the normal", () => {
    const r = seeded(5);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += poisson(3, r());
    expect(Math.abs(sum / 20_000 - 3)).toBeLessThan(0.05);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });
});
