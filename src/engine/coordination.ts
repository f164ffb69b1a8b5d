import { isTerminal, type ReleaseState, type RolloutState, type Status } from "../core/types.js";
import type { PassContext } from "./pass-context.js";

/**
 * How the services of one release move together: who may start, what a failure does to the others,
 * and the release's status. Pure.
 */

export const FAILED_STATUSES: readonly Status[] = ["failed", "rolled_back", "aborted"];

/** A rollout that ran and ended badly (never-started ones do not count). */
export function isFailure(rollout: RolloutState): boolean {
  return FAILED_STATUSES.includes(rollout.status) && !rollout.skipped;
}

/** Whether everything `rollout` waits for is done: succeeded, or past the named step. */
export function needsMet(rollout: RolloutState, all: readonly RolloutState[]): boolean {
  return (rollout.needs ?? []).every((need) => {
    const dependency = all.find((r) => r.service === need.service);
    if (!dependency || dependency.status === "succeeded") return true;
    if (need.step === undefined || dependency.phase !== "progressing") return false;
    const index = dependency.steps.findIndex((s) => s.name === need.step);
    return index !== -1 && dependency.stepIndex > index;
  });
}

/** Marks a rollout that will never start, with why. */
export function skip(rollout: RolloutState, why: string, ctx: PassContext): RolloutState {
  ctx.emit({
    type: "rollout.skipped",
    severity: "warning",
    service: rollout.service,
    message: `${rollout.service}@${rollout.version} not started: ${why}`,
    data: { reason: why },
  });
  return {
    ...rollout,
    status: "aborted",
    phase: "completed",
    skipped: true,
    reason: `not started: ${why}`,
    finishedAt: ctx.now,
  };
}

/** Services that wait for `service` in this release. */
export function dependentsOf(service: string, all: readonly RolloutState[]): RolloutState[] {
  return all.filter((r) => (r.needs ?? []).some((n) => n.service === service));
}

/**
 * While backing out, a service that already went live rolls back only once every service that depends
 * on it has rolled back (or never started): reverse dependency order.
 */
export function readyToBackOut(rollout: RolloutState, all: readonly RolloutState[]): boolean {
  if (rollout.status !== "succeeded" || rollout.promotedAt === undefined) return false;
  return dependentsOf(rollout.service, all).every((d) => isTerminal(d.status) && d.status !== "succeeded");
}

/** Rollouts still to be backed out: the release is not over until they are. */
export function backOutPending(release: ReleaseState): boolean {
  return (
    release.backingOut !== undefined &&
    release.rollouts.some((r) => r.status === "succeeded" && r.promotedAt !== undefined)
  );
}

const WORST_FIRST: readonly Status[] = ["failed", "aborted", "rolled_back"];

/** The release's status, derived from its gate, hooks and rollouts; never stored independently of them. */
export function deriveStatus(release: ReleaseState): Status {
  const rollouts = release.rollouts;
  const allDone = rollouts.every((r) => isTerminal(r.status));
  if (release.approval && !release.approval.outcome && !allDone) return "awaiting_approval";
  if (allDone) {
    if (backOutPending(release)) return "running";
    const hooks = release.hooks;
    const hooksLeft = hooks ? hooks.pre.length + hooks.post.length - hooks.done.length : 0;
    const failed =
      release.halted !== undefined || release.backingOut !== undefined || rollouts.some(isFailure);
    if (!failed && hooksLeft > 0) return "running";
    const outcomes: Status[] = rollouts.filter((r) => !r.skipped).map((r) => r.status);
    if (release.halted) outcomes.push(release.halted.status);
    if (outcomes.length === 0) return "aborted";
    return WORST_FIRST.find((s) => outcomes.includes(s)) ?? "succeeded";
  }
  if (rollouts.some((r) => r.status === "running")) return "running";
  if (rollouts.some((r) => r.status === "paused")) return "paused";
  if (rollouts.some((r) => r.status === "awaiting_approval")) return "awaiting_approval";
  const started = rollouts.some((r) => isTerminal(r.status)) || (release.hooks?.done.length ?? 0) > 0;
  return started || release.hooks?.running ? "running" : "pending";
}
