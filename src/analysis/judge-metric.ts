import type { AnalysisMetricSpec } from "../core/analysis.js";
import { ConditionalComparison, type ConditionalState } from "./judges/conditional.js";
import { compareJudge, sequentialThresholdJudge, thresholdJudge } from "./judges/index.js";
import type { Measurement, MetricVerdict } from "./types.js";

/** The verdict on one metric's measurement: its comparison with the stable version, or its conditions. */
export function judgeMetric(metric: AnalysisMetricSpec, measurement: Measurement): MetricVerdict {
  return judgeMetricWithState(metric, measurement, undefined).verdict;
}

/**
 * The same, for judges with memory: `state` is what the previous look left (undefined at the first),
 * and the result carries what to keep for the next one. Only `rollbackIfWorse` comparisons have any.
 */
export function judgeMetricWithState(
  metric: AnalysisMetricSpec,
  measurement: Measurement,
  state: unknown,
): { verdict: MetricVerdict; state?: ConditionalState } {
  if (metric.compare?.rollbackIfWorse) {
    const { rollbackIfWorse: _, ...compare } = metric.compare;
    const conditional = ConditionalComparison.restore(
      { ...compare, maxIncrease: {} },
      state as ConditionalState | undefined,
    );
    const worse = conditional.observe(measurement);
    const verdict = worse.verdict === "failed" ? worse : compareJudge(compare, measurement);
    return { verdict, state: conditional.snapshot() };
  }
  if (metric.compare) return { verdict: compareJudge(metric.compare, measurement) };
  if (metric.sloTest) return { verdict: sequentialThresholdJudge(metric.sloTest, measurement) };
  return {
    verdict: thresholdJudge(
      { successCondition: metric.successCondition, failureCondition: metric.failureCondition },
      measurement,
    ),
  };
}
