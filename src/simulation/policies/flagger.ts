import type { VersionSample } from "../../analysis/types.js";
import { interpolatedQuantile } from "../../routers/histogram.js";
import { accumulate, emptySample, subtractSample, type TrafficTick } from "../traffic.js";
import { CONTINUE, type Policy, type PolicyDecision } from "./types.js";

/**
 * Flagger's canary analysis (progressive traffic shifting), as its documentation describes it
 * (docs.flagger.app, "Deployment Strategies" → Canary Release, and "Metrics Analysis"):
 *
 * - the analysis runs every `interval`; the first iteration starts the analysis and sets the canary
 *   weight to `stepWeight` without checking metrics (no traffic has reached the canary yet);
 * - each later iteration checks the builtin metrics over the last metric `interval` of the canary's
 *   traffic: `request-success-rate` (non-5xx responses, percent) >= `thresholdRange.min`, and
 *   `request-duration` (P99, ms) <= `thresholdRange.max` when configured;
 * - a failing check halts advancement (the weight stays) and increments the failed checks counter;
 *   a query that finds no values ("probably ... is not receiving traffic") fails the check too, as in
 *   Flagger's controller; the counter is not reset by later passing checks;
 * - when the failed checks reach `threshold`, all traffic goes back to the primary (rollback); the
 *   docs list this right after the increment, so the rollback happens on the iteration of the
 *   threshold-th failure: `interval × threshold` after the first failing check began, the time the
 *   docs give (Flagger's controller acts one iteration later, which would only add damage);
 * - a passing check increases the weight by `stepWeight` up to `maxWeight`; a passing check at
 *   `maxWeight` promotes the canary (minimum time `interval × maxWeight / stepWeight`, the docs'
 *   formula). The primary's rolling update after promotion is taken as instantaneous.
 *
 * Defaults are the anchor: interval 1m, threshold 5, stepWeight 10, maxWeight 50,
 * request-success-rate >= 99%; request-duration P99 <= 500 ms as in Flagger's documented example
 * (`maxP99Ms: null` leaves it out). P99 comes from the histogram the way Prometheus'
 * histogram_quantile computes it.
 */
export interface FlaggerOptions {
  intervalMs?: number;
  /** The window the metric queries look back over (`metrics[].interval`), default 1m. */
  metricIntervalMs?: number;
  threshold?: number;
  stepWeight?: number;
  maxWeight?: number;
  /** request-success-rate thresholdRange.min, percent. */
  minSuccessRate?: number;
  /** request-duration thresholdRange.max in ms, P99; null leaves the check out. */
  maxP99Ms?: number | null;
}

export function flaggerPolicy(options: FlaggerOptions = {}): Policy {
  const intervalMs = options.intervalMs ?? 60_000;
  const metricIntervalMs = options.metricIntervalMs ?? 60_000;
  const threshold = options.threshold ?? 5;
  const stepWeight = options.stepWeight ?? 10;
  const maxWeight = options.maxWeight ?? 50;
  const minSuccessRate = options.minSuccessRate ?? 99;
  const maxP99Ms = options.maxP99Ms === undefined ? 500 : options.maxP99Ms;

  // The first iteration (t = 0) starts the analysis and advances to stepWeight.
  let weight = Math.min(stepWeight, maxWeight);
  let failedChecks = 0;
  let last = "Starting canary analysis; advance canary weight " + weight;
  // Cumulative canary traffic and the cumulative value at each tick of the last metric interval.
  const total = emptySample();
  const history: { at: number; total: VersionSample }[] = [{ at: 0, total: emptySample() }];

  const check = (at: number): string | undefined => {
    while (history.length > 1 && history[1]!.at <= at - metricIntervalMs) history.shift();
    const window = subtractSample(total, history[0]!.total);
    if (window.requests === 0)
      return "no values found for metric request-success-rate (not receiving traffic)";
    const successRate = 100 * (1 - window.errors / window.requests);
    if (successRate < minSuccessRate) {
      return `success rate ${successRate.toFixed(2)}% < ${minSuccessRate}%`;
    }
    if (maxP99Ms !== null) {
      const p99 = interpolatedQuantile(0.99, window.latency);
      if (p99 > maxP99Ms) return `request duration ${p99.toFixed(0)}ms > ${maxP99Ms}ms`;
    }
    return undefined;
  };

  return {
    name: "flagger",
    weight: () => weight,
    describe: () => last,
    observe(tick: TrafficTick): PolicyDecision {
      accumulate(total, tick.canary);
      history.push({
        at: tick.at,
        total: { ...total, latency: { ...total.latency, counts: [...total.latency.counts] } },
      });
      if (tick.at % intervalMs !== 0) return CONTINUE;
      const failure = check(tick.at);
      if (failure !== undefined) {
        failedChecks++;
        last = `Halt advancement: ${failure} (failed checks ${failedChecks}/${threshold})`;
        if (failedChecks >= threshold) {
          return {
            action: "rollback",
            reason: `failed checks threshold reached (${failedChecks}): ${failure}`,
          };
        }
        return CONTINUE;
      }
      if (weight < maxWeight) {
        weight = Math.min(weight + stepWeight, maxWeight);
        last = `Advance canary weight ${weight}`;
        return CONTINUE;
      }
      return { action: "promote", reason: `analysis passed at max weight ${maxWeight}` };
    },
  };
}
