import type { RolloutState, Step } from "../core/types.js";
import { describeGate, onTime, openGate, rejectionReason } from "./approval.js";
import { driveHook } from "./hook-step.js";
import type { PassContext } from "./pass-context.js";
import { beginRollback } from "./transitions.js";

export type StepOutcome = { done: boolean; rollout: RolloutState };

/** An `approval` step: open the gate, wait for decisions (applied by the release pass), honour its timeout. */
export function approvalStep(
  step: Extract<Step, { type: "approval" }>,
  rollout: RolloutState,
  ctx: PassContext,
): StepOutcome {
  const service = rollout.service;
  if (!rollout.gate) {
    const gate = openGate(step.approval, ctx.release.createdBy, ctx.now);
    ctx.emit({
      type: "approval.requested",
      severity: "warning",
      service,
      message: `${service}@${rollout.version}: waiting for approval: ${describeGate(gate)}; \`tandem approve ${ctx.release.id} --service ${service}\``,
      data: {
        gate: "step",
        approvers: gate.spec.approvers,
        required: gate.spec.required,
        deadline: gate.deadline,
      },
    });
    return { done: false, rollout: { ...rollout, status: "awaiting_approval", gate } };
  }
  const gate = rollout.gate;
  // The decisions themselves (and approval.approved) were told when the release pass applied them.
  if (gate.outcome === "approved") {
    return { done: true, rollout: { ...rollout, status: "running", gate: undefined } };
  }
  if (gate.outcome === "rejected") {
    return {
      done: false,
      rollout: beginRollback({ ...rollout, gate: undefined }, rejectionReason(gate), "rolled_back", ctx),
    };
  }
  const effect = onTime(gate, ctx.now);
  if (effect.kind === "escalate") {
    ctx.emit({
      type: "approval.escalated",
      severity: "warning",
      service,
      message: `${service}: nobody approved in time; escalated to ${effect.to.join(", ")}, waiting until ${new Date(
        effect.gate.deadline,
      ).toISOString()}`,
      data: { gate: "step", notify: effect.to, deadline: effect.gate.deadline },
    });
    return { done: false, rollout: { ...rollout, gate: effect.gate } };
  }
  if (effect.kind === "reject") {
    ctx.emit({
      type: "approval.timed_out",
      severity: "error",
      service,
      message: `${service}: ${effect.reason}`,
    });
    return {
      done: false,
      rollout: beginRollback({ ...rollout, gate: undefined }, effect.reason, "rolled_back", ctx),
    };
  }
  return { done: false, rollout };
}

/** A `hook` step (also the service's pre and post hooks): its failure rolls the rollout back. */
export async function hookStep(
  step: Extract<Step, { type: "hook" }>,
  rollout: RolloutState,
  ctx: PassContext,
): Promise<StepOutcome> {
  const progress = await driveHook(
    step.hook,
    rollout.hook,
    {
      key: `${ctx.release.id}-${rollout.service}-${rollout.stepIndex}`,
      service: rollout.service,
      vars: {
        release: ctx.release.id,
        environment: ctx.release.environment,
        service: rollout.service,
        version: rollout.version,
        stableVersion: rollout.stableVersion ?? "",
      },
    },
    ctx,
  );
  if (progress.state === "running") return { done: false, rollout: { ...rollout, hook: progress.run } };
  if (progress.state === "succeeded") return { done: true, rollout: { ...rollout, hook: undefined } };
  return {
    done: false,
    rollout: beginRollback({ ...rollout, hook: undefined }, progress.reason, "rolled_back", ctx),
  };
}
