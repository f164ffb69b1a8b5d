import { describe, expect, it } from "vitest";
import type { VersionStats } from "../../routers/types.js";
import type { MeasureContext } from "../types.js";
import { BuiltinProvider, snapshotOf } from "./builtin.js";

const BOUNDS = [10, 100];
function stats(requests: number, errors: number, counts: number[]): VersionStats {
  return { requests, errors, inFlight: 0, latency: { boundsMs: BOUNDS, counts } };
}
const context: MeasureContext = {
  project: "p",
  environment: "e",
  service: "api",
  canaryVersion: "2",
  baselineVersion: "1",
  startedAt: 0,
  now: 5000,
  windowMs: 1000,
  signal: new AbortController().signal,
};

describe("builtin provider", () => {
  const start = { "1": stats(100, 1, [90, 10, 0]), "2": stats(10, 0, [10, 0, 0]) };
  const now = { "1": stats(300, 3, [270, 30, 0]), "2": stats(110, 4, [60, 40, 10]) };
  const deps = { stats: async () => now, start: snapshotOf(start, ["1", "2"]) };

  it("measures the canary's error rate since the analysis began, with both samples", async () => {
    const m = await new BuiltinProvider(
      { type: "builtin", metric: "error_rate", quantile: 0.99 },
      deps,
    ).measure(context);
    expect(m.value).toBeCloseTo(0.04);
    expect(m.canary).toEqual({
      requests: 100,
      errors: 4,
      latency: { boundsMs: BOUNDS, counts: [50, 40, 10] },
    });
    expect(m.baseline?.requests).toBe(200);
    expect(m.baseline?.errors).toBe(2);
  });

  it("request_count and latency quantiles", async () => {
    const count = new BuiltinProvider({ type: "builtin", metric: "request_count", quantile: 0.99 }, deps);
    expect((await count.measure(context)).value).toBe(100);
    const p50 = new BuiltinProvider({ type: "builtin", metric: "latency", quantile: 0.5 }, deps);
    expect((await p50.measure(context)).value).toBe(10);
    const p99 = new BuiltinProvider({ type: "builtin", metric: "latency", quantile: 0.99 }, deps);
    expect((await p99.measure(context)).value).toBe(Number.POSITIVE_INFINITY);
  });

  it("no canary request yet is no data; an unreachable router is an error", async () => {
    const idle = { stats: async () => start, start: snapshotOf(start, ["1", "2"]) };
    const m = await new BuiltinProvider(
      { type: "builtin", metric: "error_rate", quantile: 0.99 },
      idle,
    ).measure(context);
    expect(m.value).toBeNaN();
    const down = {
      stats: async () => {
        throw new Error("connection refused");
      },
      start: {},
    };
    const e = await new BuiltinProvider(
      { type: "builtin", metric: "error_rate", quantile: 0.99 },
      down,
    ).measure(context);
    expect(e.error).toContain("connection refused");
  });
});
