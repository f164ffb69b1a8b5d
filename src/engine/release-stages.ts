import { normalizeActor } from "../core/actor.js";
import type { GateState, ReleaseCommand, ReleaseState, RolloutState } from "../core/types.js";
import { decide, describeGate, onTime, refusal } from "./approval.js";
import { driveHook } from "./hook-step.js";
import type { PassContext } from "./pass-context.js";

/** What happens before and after the rollouts: the environment's approval gate and release-level hooks. */

export interface Stage {
  release: ReleaseState;
  rollouts: RolloutState[];
}

/** Applies an `approve` or `reject` to the gate it is for (the release's, or a rollout's `approval` step). */
export function applyDecision(stage: Stage, command: ReleaseCommand, ctx: PassContext): Stage {
  const refuse = (why: string): Stage => {
    ctx.emit({
      type: "command.rejected",
      severity: "warning",
      service: command.service,
      message: `${command.type} by ${command.actor} refused: ${why}`,
      data: { command: command.type, actor: command.actor },
    });
    return stage;
  };
  const decision = command.type === "approve" ? "approve" : "reject";
  const open = (gate: GateState | undefined) => gate !== undefined && gate.outcome === undefined;
  let target: { service?: string; gate: GateState } | undefined;
  if (command.service !== undefined) {
    const rollout = stage.rollouts.find((r) => r.service === command.service);
    if (!rollout || !open(rollout.gate)) return refuse(`${command.service} is not waiting for an approval`);
    target = { service: rollout.service, gate: rollout.gate! };
  } else if (open(stage.release.approval)) {
    target = { gate: stage.release.approval! };
  } else {
    const waiting = stage.rollouts.filter((r) => open(r.gate));
    if (waiting.length === 0) return refuse("nothing in this release is waiting for an approval");
    if (waiting.length > 1) {
      return refuse(
        `several services wait for approval (${waiting.map((r) => r.service).join(", ")}); name one with --service`,
      );
    }
    target = { service: waiting[0]!.service, gate: waiting[0]!.gate! };
  }
  const actor = normalizeActor(command.actor);
  const why = refusal(target.gate, actor, decision);
  if (why) return refuse(why);
  const gate = decide(target.gate, {
    actor,
    decision,
    ...(command.reason === undefined ? {} : { comment: command.reason }),
    at: ctx.now,
    ...(command.token ? { token: command.token } : {}),
  });
  const where = target.service ?? `release ${ctx.release.id} into ${ctx.release.environment}`;
  const comment = command.reason ? `: ${command.reason}` : "";
  const data = {
    gate: target.service ? "step" : "environment",
    actor,
    comment: command.reason,
    ...(command.token ? { token: command.token } : {}),
  };
  if (decision === "reject") {
    ctx.emit({
      type: "approval.rejected",
      severity: "error",
      service: target.service,
      message: `${where}: rejected by ${actor}${comment}`,
      data,
    });
  } else {
    ctx.emit({
      type: "approval.granted",
      service: target.service,
      message: `${where}: approved by ${actor}${comment} (${describeGate(gate)})`,
      data,
    });
    if (gate.outcome === "approved") {
      ctx.emit({
        type: "approval.approved",
        service: target.service,
        message: `${where}: approval complete (${gate.decisions.map((d) => d.actor).join(", ")})`,
        data: { ...data, decisions: gate.decisions },
      });
    }
  }
  if (target.service === undefined) return { ...stage, release: { ...stage.release, approval: gate } };
  return {
    ...stage,
    rollouts: stage.rollouts.map((r) => (r.service === target.service ? { ...r, gate } : r)),
  };
}

/** The environment's gate: what time does to it. Returns the release with the gate moved on. */
export function environmentGate(release: ReleaseState, ctx: PassContext): ReleaseState {
  const gate = release.approval;
  if (!gate || gate.outcome) return release;
  const effect = onTime(gate, ctx.now);
  if (effect.kind === "escalate") {
    ctx.emit({
      type: "approval.escalated",
      severity: "warning",
      message: `release ${release.id} into ${release.environment}: nobody approved in time; escalated to ${effect.to.join(", ")}, waiting until ${new Date(effect.gate.deadline).toISOString()}`,
      data: { gate: "environment", notify: effect.to, deadline: effect.gate.deadline },
    });
    return { ...release, approval: effect.gate };
  }
  if (effect.kind === "reject") {
    ctx.emit({
      type: "approval.timed_out",
      severity: "error",
      message: `release ${release.id}: ${effect.reason}`,
    });
    return { ...release, approval: effect.gate, halted: { status: "aborted", reason: effect.reason } };
  }
  return release;
}

/**
 * Runs the next release-level hook of `phase` if there is one. Returns "done" when none is left,
 * "running" while one runs, or "failed" with the reason.
 */
export async function driveReleaseHooks(
  release: ReleaseState,
  phase: "pre" | "post",
  ctx: PassContext,
): Promise<
  | { state: "done" | "running"; release: ReleaseState }
  | { state: "failed"; release: ReleaseState; reason: string }
> {
  const hooks = release.hooks;
  if (!hooks) return { state: "done", release };
  const all = [...hooks.pre, ...hooks.post];
  const end = phase === "pre" ? hooks.pre.length : all.length;
  const index = hooks.done.length;
  const spec = all[index];
  if (index >= end || !spec) return { state: "done", release };
  const progress = await driveHook(
    spec,
    hooks.running,
    {
      key: `${release.id}-release-${phase}-${index}`,
      vars: {
        release: release.id,
        environment: release.environment,
        services: release.rollouts.map((r) => `${r.service}@${r.version}`).join(" "),
      },
    },
    ctx,
  );
  if (progress.state === "running")
    return { state: "running", release: { ...release, hooks: { ...hooks, running: progress.run } } };
  const next = { ...release, hooks: { ...hooks, running: undefined, done: [...hooks.done, progress.run] } };
  if (progress.state === "failed")
    return { state: "failed", release: next, reason: `${phase}-release ${progress.reason}` };
  return index + 1 >= end ? { state: "done", release: next } : { state: "running", release: next };
}
