import type { AnalysisMetricSpec } from "../core/analysis.js";
import { compareJudge, sequentialThresholdJudge, thresholdJudge } from "./judges/index.js";
import type { Measurement, MetricVerdict } from "./types.js";

/** The verdict on one metric's measurement: its comparison with the stable version, or its conditions. */
export function judgeMetric(metric: AnalysisMetricSpec, measurement: Measurement): MetricVerdict {
  if (metric.compare) return compareJudge(metric.compare, measurement);
  if (metric.sloTest) return sequentialThresholdJudge(metric.sloTest, measurement);
  return thresholdJudge(
    { successCondition: metric.successCondition, failureCondition: metric.failureCondition },
    measurement,
  );
}
