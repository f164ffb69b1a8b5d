import type { Verdict } from "../core/analysis.js";
import type { LatencyHistogram } from "../routers/types.js";

/**
 * Shared shapes of metric analysis (issue 4). Providers measure (side effects), judges decide (pure),
 * the engine runs analyses with Argo Rollouts' semantics (interval, count, failureLimit, ...).
 */

/** One version's traffic over a span: counts, and latencies as a histogram (the same buckets for both versions). */
export interface VersionSample {
  requests: number;
  /** Responses with status >= 500 and requests that could not be delivered. */
  errors: number;
  latency?: LatencyHistogram;
}

/** What one look at a metric found. */
export interface Measurement {
  /** Clock time (ms) of the look. */
  at: number;
  /** Scalar metrics (an error rate, a PromQL result, a job's printed number). NaN or absent: no data. */
  value?: number;
  /**
   * Comparison metrics: the new version's and the stable version's traffic since the analysis began
   * (cumulative, so a sequential judge sees all the evidence so far).
   */
  canary?: VersionSample;
  baseline?: VersionSample;
  /** The provider could not measure (counts toward consecutiveErrorLimit), with why. */
  error?: string;
}

/** The verdict type lives in core (the stored analysis state records it); analysis re-exports it. */
export type { Verdict };

export interface MetricVerdict {
  verdict: Verdict;
  /** For people: `error rate 2.10% > 1.00%`, `p99 +34% vs stable (worse at 98% confidence)`. */
  reason: string;
  /** Figures behind the verdict, for events, status and charts. */
  detail?: Record<string, number>;
}

/** Where a provider measures: which service, which versions, since when. */
export interface MeasureContext {
  project: string;
  environment: string;
  service: string;
  /** The new version (canary) and the stable one (baseline), when there is one. */
  canaryVersion: string;
  baselineVersion?: string;
  /** When this analysis began (clock ms): comparison samples are cumulative from here. */
  startedAt: number;
  now: number;
  /** The span a scalar query looks back over (ms), usually the analysis interval. */
  windowMs: number;
  signal: AbortSignal;
}

export interface MetricProvider {
  measure(context: MeasureContext): Promise<Measurement>;
}
