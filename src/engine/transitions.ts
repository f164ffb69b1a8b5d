import { redactSecrets } from "../config/redact.js";
import type { RolloutState } from "../core/types.js";
import { describeStep } from "./describe.js";
import type { PassContext } from "./pass-context.js";

/** Moves to the next step, with the events that tell it. */
export function advanceStep(rollout: RolloutState, ctx: PassContext): RolloutState {
  const done = rollout.steps[rollout.stepIndex];
  const index = rollout.stepIndex + 1;
  const total = rollout.steps.length;
  if (done) {
    ctx.emit({
      type: "rollout.step_completed",
      service: rollout.service,
      message: `${rollout.service}: step ${index}/${total} done: ${describeStep(done)}`,
      data: { stepIndex: rollout.stepIndex, step: done },
    });
  }
  const next = rollout.steps[index];
  if (next) {
    ctx.emit({
      type: "rollout.step_started",
      service: rollout.service,
      message: `${rollout.service}: step ${index + 1}/${total}: ${describeStep(next)}`,
      data: { stepIndex: index, step: next },
    });
  }
  return {
    ...rollout,
    status: "running",
    stepIndex: index,
    stepStartedAt: ctx.now,
    pausedSince: undefined,
    pauseReason: undefined,
  };
}

/** Starts rolling back: traffic returns to the stable version, then the new version's instances stop. */
export function beginRollback(
  rollout: RolloutState,
  reason: string,
  outcome: NonNullable<RolloutState["rollbackOutcome"]>,
  ctx: PassContext,
): RolloutState {
  reason = redactSecrets(reason);
  ctx.emit({
    type: "rollout.rolling_back",
    severity: outcome === "aborted" ? "warning" : "error",
    service: rollout.service,
    message: `${rollout.service}: rolling back ${rollout.version}${
      rollout.stableVersion ? ` to ${rollout.stableVersion}` : ""
    }: ${reason}`,
    data: { reason, outcome, from: rollout.version, to: rollout.stableVersion },
  });
  return {
    ...rollout,
    phase: "rolling_back",
    status: "running",
    rollbackOutcome: outcome,
    reason,
    stepStartedAt: ctx.now,
    pausedSince: undefined,
    pauseReason: undefined,
  };
}
