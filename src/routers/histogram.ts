import type { LatencyHistogram, VersionStats } from "./types.js";

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
