import { thresholdLogE } from "../stats/eprocess.js";
import type { Measurement, MetricVerdict } from "../types.js";
import { DEFAULT_ALPHA, percent } from "./types.js";

/**
 * An absolute error-rate objective tested sequentially on the canary alone (docs/analysis-method.md):
 * `maxErrorRate: 0.01` is the SLO that Flagger's `request-success-rate >= 99` states. Unlike a
 * threshold on each interval's rate, the test is anytime-valid over the whole rollout.
 */
export interface ThresholdTestSpec {
  /** The highest acceptable error rate, 0 < maxErrorRate < 1 (config `1%`). */
  maxErrorRate: number;
  /** The bound on false verdicts, in each direction, over all looks. Default 0.02. */
  alpha?: number;
}

/**
 * `failed`: the canary's error rate is shown above `maxErrorRate` (a canary at or below it is failed
 * with probability at most alpha over all looks); `successful`: shown below it (a canary at or above
 * it is passed with probability at most alpha); `running`: not yet. Give it the canary's cumulative
 * counts since the analysis began (`measurement.canary`); the baseline is not used.
 */
export function sequentialThresholdJudge(spec: ThresholdTestSpec, measurement: Measurement): MetricVerdict {
  if (measurement.error !== undefined) return { verdict: "error", reason: measurement.error };
  const alpha = spec.alpha ?? DEFAULT_ALPHA;
  if (!(alpha > 0 && alpha < 1))
    return { verdict: "error", reason: `alpha must be between 0 and 1, got ${alpha}` };
  const p0 = spec.maxErrorRate;
  if (!(p0 > 0 && p0 < 1))
    return { verdict: "error", reason: `maxErrorRate must be between 0 and 1, got ${p0}` };
  const canary = measurement.canary;
  if (!canary || Number.isNaN(canary.requests) || Number.isNaN(canary.errors))
    return { verdict: "inconclusive", reason: "no data" };
  const { requests: n, errors: x } = canary;
  if (!(n >= 0 && x >= 0 && x <= n))
    return { verdict: "error", reason: "impossible counts: errors must be between 0 and requests" };
  if (n === 0) return { verdict: "running", reason: "no canary requests yet" };
  const threshold = Math.log(1 / alpha);
  const logAbove = thresholdLogE(x, n, p0, "above");
  const logBelow = thresholdLogE(x, n, p0, "below");
  const detail = {
    canaryRate: x / n,
    canaryRequests: n,
    logEAbove: logAbove,
    logEBelow: logBelow,
    logThreshold: threshold,
  };
  const figures = `error rate ${percent(x / n)} (${x}/${n})`;
  const confidence = `${percent(1 - alpha, 0)} confidence`;
  if (logAbove >= threshold)
    return { verdict: "failed", reason: `${figures}: above ${percent(p0)} at ${confidence}`, detail };
  if (logBelow >= threshold)
    return { verdict: "successful", reason: `${figures}: below ${percent(p0)} at ${confidence}`, detail };
  const progress = Math.max(0, logAbove, logBelow) / threshold;
  return {
    verdict: "running",
    reason: `${figures}: not decided against ${percent(p0)} yet (evidence ${percent(progress, 0)} of the way)`,
    detail,
  };
}
