import type { LatencyHistogram, VersionStats } from "./types.js";

/*
 * The two quantiles of a bucketed latency histogram. They answer different questions and differ on
 * the same data, so both exist, side by side:
 * - histogramQuantile: the upper bound of the bucket holding the rank. Never an under-estimate, and
 *   what Tandem's judges and the builtin provider report and decide on.
 * - interpolatedQuantile: Prometheus' histogram_quantile (linear inside the bucket). Used where
 *   Tandem models a tool that queries Prometheus (Flagger in the simulator), to decide as it would.
 * Quantiles of raw values (not buckets) are analytics/stats.ts's `quantile`.
 */

/**
 * The latency under which `q` (0..1) of the requests fell, as the upper bound of the bucket that holds
 * that rank (so an over-estimate by at most one bucket). Undefined without samples; Infinity when the
 * rank falls in the last, unbounded bucket.
 */
export function histogramQuantile(histogram: LatencyHistogram, q: number): number | undefined {
  const total = histogram.counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bucket = 0; bucket < histogram.counts.length; bucket++) {
    seen += histogram.counts[bucket] ?? 0;
    if (seen >= rank) return histogram.boundsMs[bucket] ?? Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * A quantile (0..1) of a bucketed histogram the way Prometheus' `histogram_quantile` computes it:
 * linear interpolation inside the bucket (from 0 for the first); the last (+Inf) bucket answers its
 * lower bound. NaN for an empty histogram.
 */
export function interpolatedQuantile(q: number, histogram: LatencyHistogram): number {
  const total = histogram.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < histogram.counts.length; i++) {
    const count = histogram.counts[i]!;
    if (below + count >= rank && count > 0) {
      if (i >= histogram.boundsMs.length) return histogram.boundsMs[histogram.boundsMs.length - 1]!;
      const lower = i === 0 ? 0 : histogram.boundsMs[i - 1]!;
      const upper = histogram.boundsMs[i]!;
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return histogram.boundsMs[histogram.boundsMs.length - 1]!;
}

export interface TrafficSummary {
  requests: number;
  errors: number;
  inFlight: number;
  /** Upper bounds of the buckets holding the median and the 99th percentile, when there were requests. */
  p50Ms?: number;
  p99Ms?: number;
}

/** What a person wants to see of a version's router statistics. */
export function summarizeStats(stats: VersionStats): TrafficSummary {
  return {
    requests: stats.requests,
    errors: stats.errors,
    inFlight: stats.inFlight,
    p50Ms: histogramQuantile(stats.latency, 0.5),
    p99Ms: histogramQuantile(stats.latency, 0.99),
  };
}
