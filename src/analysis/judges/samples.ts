import { sameBuckets } from "../stats/histogram-math.js";
import type { Measurement, MetricVerdict, VersionSample } from "../types.js";
import type { CompareSpec } from "./types.js";
import { invalidSpec } from "./types.js";

export interface Pair {
  canary: VersionSample;
  baseline: VersionSample;
}

function badCounts(s: VersionSample): boolean {
  return !(s.requests >= 0 && s.errors >= 0 && s.errors <= s.requests);
}

/**
 * The two samples a comparison needs, or the verdict to give instead: `error` for a provider error, a
 * bad spec or impossible counts; `inconclusive` ("no data") for absent or NaN samples.
 */
export function comparablePair(spec: CompareSpec, m: Measurement): Pair | MetricVerdict {
  if (m.error !== undefined) return { verdict: "error", reason: m.error };
  const problem = invalidSpec(spec);
  if (problem) return { verdict: "error", reason: problem };
  const { canary, baseline } = m;
  if (!canary || !baseline) return { verdict: "inconclusive", reason: "no data" };
  if ([canary.requests, canary.errors, baseline.requests, baseline.errors].some(Number.isNaN))
    return { verdict: "inconclusive", reason: "no data" };
  if (badCounts(canary) || badCounts(baseline))
    return { verdict: "error", reason: "impossible counts: errors must be between 0 and requests" };
  if (spec.metric === "latency") {
    if (!canary.latency || !baseline.latency) return { verdict: "inconclusive", reason: "no data" };
    if (!sameBuckets(canary.latency, baseline.latency))
      return { verdict: "error", reason: "the two versions' latency histograms have different buckets" };
    const counts = [...canary.latency.counts, ...baseline.latency.counts];
    if (counts.some((n) => Number.isNaN(n))) return { verdict: "inconclusive", reason: "no data" };
    if (counts.some((n) => n < 0))
      return { verdict: "error", reason: "impossible counts: negative latency bucket" };
  }
  return { canary, baseline };
}

export function isVerdict(x: Pair | MetricVerdict): x is MetricVerdict {
  return "verdict" in x;
}
