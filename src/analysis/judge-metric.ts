import type { AnalysisMetricSpec } from "../core/analysis.js";
import { ConditionalComparison, type ConditionalState } from "./judges/conditional.js";
import { compareJudge, sequentialThresholdJudge, thresholdJudge } from "./judges/index.js";
import type { Measurement, MetricVerdict } from "./types.js";

/**
 * The verdict on one metric's measurement: its comparison with the stable version, its objective, or
 * its conditions. `state` is what the previous look left for a judge with memory (undefined at the
 * first look; only `rollbackIfWorse` comparisons have any); the result carries what to keep next.
 */
export function judgeMetric(
  metric: AnalysisMetricSpec,
  measurement: Measurement,
  state?: unknown,
): MetricVerdict & { state?: ConditionalState } {
  if (metric.compare?.rollbackIfWorse) {
    const { rollbackIfWorse: _, ...compare } = metric.compare;
    const conditional = ConditionalComparison.restore(
      { ...compare, maxIncrease: {} },
      state as ConditionalState | undefined,
    );
    const worse = conditional.observe(measurement);
    const verdict = worse.verdict === "failed" ? worse : compareJudge(compare, measurement);
    return { ...verdict, state: conditional.snapshot() };
  }
  if (metric.compare) return compareJudge(metric.compare, measurement);
  if (metric.sloTest) return sequentialThresholdJudge(metric.sloTest, measurement);
  return thresholdJudge(
    { successCondition: metric.successCondition, failureCondition: metric.failureCondition },
    measurement,
  );
}
