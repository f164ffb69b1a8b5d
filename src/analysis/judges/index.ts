/** The pure judges of metric analysis (docs/analysis-method.md). */

export { ConditionalComparison, conditionalCompareJudge } from "./conditional.js";
export {
  fixedWindowJudge,
  mannWhitneyHistograms,
  type TestResult,
  twoProportionZTest,
} from "./fixed-window.js";
export { compareJudge, type Evidence, errorRateEvidence, latencyEvidence } from "./sequential.js";
export { sequentialThresholdJudge, type ThresholdTestSpec } from "./sequential-threshold.js";
export { type Condition, holds, parseCondition, thresholdJudge } from "./threshold.js";
export { type CompareSpec, DEFAULT_ALPHA, DEFAULT_QUANTILE } from "./types.js";
