import type {
  AnalysisMetricSpec,
  AnalysisPhase,
  AnalysisSpec,
  MetricRecord,
  MetricTally,
} from "../core/analysis.js";

/**
 * Argo Rollouts' semantics for a run of measurements, as a pure function of the spec and the counts so
 * far (README "Analysis"). Per metric, in this order:
 * - failed when its failed measurements exceed `failureLimit`;
 * - error when its consecutive measurement errors exceed `consecutiveErrorLimit` (the engine treats an
 *   error as a failure);
 * - inconclusive when its inconclusive measurements exceed `inconclusiveLimit`;
 * - done when `count` measurements were taken, or `consecutiveSuccessLimit` consecutive successes
 *   were seen, or (a comparison) its sequential judge decided "not worse"; a comparison still
 *   undecided after `count` measurements is inconclusive. A threshold metric of an analysis step with
 *   neither `count` nor `consecutiveSuccessLimit` is done after its first successful measurement.
 * The run is the worst of its metrics (failed, error, inconclusive), else successful once every metric
 * is done, else running. A background run never ends successful before `count`: it runs until the
 * rollout ends. `dryRun`: never failed, error or inconclusive; `wouldBe` says what it would have been.
 */
export interface RunAssessment {
  phase: AnalysisPhase;
  reason: string;
  /** dryRun only: the phase the run would have had. */
  wouldBe?: AnalysisPhase;
  /** The metric that decided the phase, when one did. */
  metric?: string;
}

export type RunKind = "step" | "background";

export const EMPTY_TALLY: MetricTally = {
  measurements: 0,
  successful: 0,
  failed: 0,
  inconclusive: 0,
  errors: 0,
  consecutiveSuccess: 0,
  consecutiveErrors: 0,
};

/** The tally after one more record. */
export function tallyRecord(tally: MetricTally | undefined, record: MetricRecord): MetricTally {
  const t = { ...(tally ?? EMPTY_TALLY) };
  t.measurements++;
  if (record.verdict === "successful") t.successful++;
  if (record.verdict === "failed") t.failed++;
  if (record.verdict === "inconclusive") t.inconclusive++;
  if (record.verdict === "error") t.errors++;
  t.consecutiveSuccess = record.verdict === "successful" ? t.consecutiveSuccess + 1 : 0;
  t.consecutiveErrors = record.verdict === "error" ? t.consecutiveErrors + 1 : 0;
  t.last = record;
  return t;
}

interface MetricAssessment {
  phase: AnalysisPhase;
  reason: string;
}

function last(tally: MetricTally): string {
  return tally.last ? `: ${tally.last.reason}` : "";
}

export function assessMetric(
  spec: AnalysisSpec,
  metric: AnalysisMetricSpec,
  tally: MetricTally,
  kind: RunKind,
): MetricAssessment {
  const name = metric.name;
  if (tally.failed > spec.failureLimit)
    return {
      phase: "failed",
      reason: `${name} failed ${tally.failed} time(s) (failureLimit ${spec.failureLimit})${last(tally)}`,
    };
  if (tally.consecutiveErrors > spec.consecutiveErrorLimit)
    return {
      phase: "error",
      reason: `${name} could not be measured ${tally.consecutiveErrors} times in a row (consecutiveErrorLimit ${spec.consecutiveErrorLimit})${last(tally)}`,
    };
  if (tally.inconclusive > spec.inconclusiveLimit)
    return {
      phase: "inconclusive",
      reason: `${name} inconclusive ${tally.inconclusive} time(s) (inconclusiveLimit ${spec.inconclusiveLimit})${last(tally)}`,
    };
  const countReached = spec.count !== undefined && tally.measurements >= spec.count;
  if (metric.compare) {
    if (tally.last?.verdict === "successful") return { phase: "successful", reason: `${name}${last(tally)}` };
    if (countReached)
      return {
        phase: "inconclusive",
        reason: `${name} not decided after ${tally.measurements} measurement(s) (count ${spec.count})${last(tally)}`,
      };
    return { phase: "running", reason: `${name}${last(tally)}` };
  }
  if (spec.consecutiveSuccessLimit > 0 && tally.consecutiveSuccess >= spec.consecutiveSuccessLimit)
    return {
      phase: "successful",
      reason: `${name}: ${tally.consecutiveSuccess} successful in a row (consecutiveSuccessLimit ${spec.consecutiveSuccessLimit})`,
    };
  if (countReached)
    return {
      phase: "successful",
      reason: `${name}: ${tally.measurements} measurement(s) (count ${spec.count})`,
    };
  if (
    kind === "step" &&
    spec.count === undefined &&
    spec.consecutiveSuccessLimit === 0 &&
    tally.last?.verdict === "successful"
  )
    return { phase: "successful", reason: `${name}${last(tally)}` };
  return { phase: "running", reason: `${name}${last(tally)}` };
}

const SEVERITY: AnalysisPhase[] = ["failed", "error", "inconclusive"];

export function assessRun(
  spec: AnalysisSpec,
  tallies: Record<string, MetricTally>,
  kind: RunKind = "step",
): RunAssessment {
  const results = spec.metrics.map((metric) => ({
    metric: metric.name,
    ...assessMetric(spec, metric, tallies[metric.name] ?? EMPTY_TALLY, kind),
  }));
  for (const phase of SEVERITY) {
    const hit = results.find((r) => r.phase === phase);
    if (!hit) continue;
    if (!spec.dryRun) return { phase, reason: hit.reason, metric: hit.metric };
    const done = results.every((r) =>
      SEVERITY.includes(r.phase)
        ? (tallies[r.metric]?.measurements ?? 0) >= (spec.count ?? 1)
        : r.phase !== "running",
    );
    return {
      phase: done && kind === "step" ? "successful" : "running",
      reason: `dry run: would be ${phase}: ${hit.reason}`,
      wouldBe: phase,
      metric: hit.metric,
    };
  }
  const running = results.find((r) => r.phase === "running");
  if (running || results.length === 0) {
    return { phase: "running", reason: running ? `waiting for ${running.reason}` : "no metrics" };
  }
  if (
    kind === "background" &&
    !results.every((r) => (tallies[r.metric]?.measurements ?? 0) >= (spec.count ?? Infinity))
  ) {
    return { phase: "running", reason: results.map((r) => r.reason).join("; ") };
  }
  return { phase: "successful", reason: results.map((r) => r.reason).join("; ") };
}
