import type { AnalysisRunState } from "../core/analysis.js";
import { formatDuration } from "../core/duration.js";
import type { RolloutState, Step } from "../core/types.js";
import { advanceRun, startRun } from "./analysis-run.js";
import type { StepOutcome } from "./gate-steps.js";
import type { PassContext } from "./pass-context.js";
import type { ServiceRuntime } from "./runtime.js";
import { beginRollback } from "./transitions.js";

function failureReason(run: AnalysisRunState, kind: string): string {
  const what = `${kind} ${run.spec.templates.join(", ")}`;
  return run.phase === "error"
    ? `${what} could not measure (treated as failed): ${run.reason ?? ""}`
    : `${what} failed: ${run.reason ?? ""}`;
}

/**
 * What a finished run does to the rollout: failed or error rolls back; inconclusive waits for a person
 * (`tandem resume` continues, `tandem rollback` or `tandem abort` backs out) unless onInconclusive is
 * rollback; the wait rolls back after the service's pauseTimeout.
 */
function settle(run: AnalysisRunState, rollout: RolloutState, kind: string, ctx: PassContext): RolloutState {
  if (run.phase === "failed" || run.phase === "error")
    return beginRollback(rollout, failureReason(run, kind), "rolled_back", ctx);
  if (run.phase !== "inconclusive") return rollout;
  const reason = `${kind} ${run.spec.templates.join(", ")} inconclusive: ${run.reason ?? ""}`;
  if (run.spec.onInconclusive === "rollback") return beginRollback(rollout, reason, "rolled_back", ctx);
  if (rollout.pausedSince === undefined) {
    ctx.emit({
      type: "rollout.paused",
      severity: "warning",
      service: rollout.service,
      message: `${rollout.service}: ${reason}; run \`tandem resume\` to continue or \`tandem rollback ${rollout.service}\` to roll back`,
      data: { reason, timeoutMs: rollout.pauseTimeout },
    });
    return { ...rollout, status: "paused", pausedSince: ctx.now, pauseReason: reason };
  }
  if (ctx.now > rollout.pausedSince + rollout.pauseTimeout) {
    const why = `nobody resumed after an inconclusive analysis within ${formatDuration(rollout.pauseTimeout)}`;
    ctx.emit({
      type: "rollout.deadline_exceeded",
      severity: "error",
      service: rollout.service,
      message: why,
    });
    return beginRollback(rollout, why, "failed", ctx);
  }
  return rollout;
}

/** An `analysis` step: measures at each interval until the run ends; done when it succeeded. */
export async function analysisStep(
  step: Extract<Step, { type: "analysis" }>,
  rollout: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<StepOutcome> {
  let run = rollout.analysis;
  if (run?.kind !== "step" || run.stepIndex !== rollout.stepIndex) {
    run = { ...(await startRun(step.analysis, "step", rollout, runtime, ctx)), stepIndex: rollout.stepIndex };
    return { done: false, rollout: { ...rollout, analysis: run } };
  }
  run = await advanceRun(run, rollout, runtime, ctx);
  const next = { ...rollout, analysis: run };
  if (run.phase === "successful") return { done: true, rollout: next };
  if (run.phase === "running") {
    // Nothing waits forever: an analysis that cannot decide (a comparison without `count`) is bounded.
    if (ctx.now <= run.startedAt + rollout.pauseTimeout) return { done: false, rollout: next };
    const reason = `analysis ${run.spec.templates.join(", ")} did not decide within ${formatDuration(rollout.pauseTimeout)} (pauseTimeout): ${run.reason ?? ""}`;
    ctx.emit({
      type: "rollout.deadline_exceeded",
      severity: "error",
      service: rollout.service,
      message: reason,
    });
    return { done: false, rollout: beginRollback(next, reason, "failed", ctx) };
  }
  return { done: false, rollout: settle(run, next, "analysis", ctx) };
}

/**
 * The strategy's background analysis: starts once the new version takes traffic (the first
 * setWeight), measures alongside the steps until the rollout ends, and fails the rollout the same way
 * an analysis step does. Returns the rollout unchanged when there is none.
 */
export async function backgroundAnalysis(
  rollout: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<RolloutState> {
  const spec = rollout.backgroundAnalysis;
  if (!spec || rollout.phase !== "progressing" || rollout.weight <= 0) return rollout;
  if (!rollout.backgroundRun)
    return { ...rollout, backgroundRun: await startRun(spec, "background", rollout, runtime, ctx) };
  const run = await advanceRun(rollout.backgroundRun, rollout, runtime, ctx);
  return settle(run, { ...rollout, backgroundRun: run }, "background analysis", ctx);
}

/** Whether the rollout waits for a person because of an inconclusive analysis (what `tandem resume` continues). */
export function inconclusiveWait(rollout: RolloutState): "step" | "background" | undefined {
  if (rollout.pausedSince === undefined) return undefined;
  if (rollout.backgroundRun?.phase === "inconclusive") return "background";
  const step = rollout.steps[rollout.stepIndex];
  if (step?.type === "analysis" && rollout.analysis?.phase === "inconclusive") return "step";
  return undefined;
}
