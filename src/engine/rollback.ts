import type { RolloutState } from "../core/types.js";
import { observe, scale, stopEndpoints, syncRoutes, type View } from "./instances.js";
import type { PassContext } from "./pass-context.js";
import type { ServiceRuntime } from "./runtime.js";
import { rollbackOnTarget } from "./target-sync.js";

/**
 * A rollback pass: bring the stable version back to full size, move all traffic to it, then drain and
 * stop the new version's instances, then tell a target that has its own `rollback`. Idempotent like
 * every pass.
 */
export async function rollBack(
  rollout: RolloutState,
  runtime: ServiceRuntime,
  view: View,
  ctx: PassContext,
): Promise<RolloutState> {
  let current = rollout;
  if (current.hook?.handle && !current.hook.outcome) {
    await ctx.hooks.cancel(current.hook.handle);
    current = { ...current, hook: undefined };
  }
  if (current.stableVersion && current.stableVersion !== current.version) {
    const restored = await scale("stable", current.desiredReplicas, current, runtime, view, ctx);
    if (restored.state === "failed" && view.stableEndpoints.length === 0) {
      ctx.emit({
        type: "rollout.deadline_exceeded",
        severity: "error",
        service: current.service,
        message: `${current.service}: could not restore ${current.stableVersion} while rolling back: ${restored.reason}`,
      });
      return finish({ ...current, reason: `${current.reason}; then ${restored.reason}` }, "failed", ctx);
    }
    // Waiting for the stable instances to pass their probes, but never longer than the progress deadline:
    // after it, traffic moves to whatever stable instances there are.
    if (restored.state === "waiting" && ctx.now <= current.stepStartedAt + current.progressDeadline)
      return current;
    current = { ...current, weight: 0 };
    view = await observe(current, runtime);
  }
  await syncRoutes(current, runtime, view, ctx, new Set(view.newEndpoints.map((e) => e.id)));
  await stopEndpoints(view.newEndpoints, current, runtime, view, ctx);
  const targetFailure = await rollbackOnTarget(current, runtime, ctx.signal);
  if (targetFailure)
    current = { ...current, reason: `${current.reason ?? "rolled back"}; then ${targetFailure}` };
  return finish(current, current.rollbackOutcome ?? "rolled_back", ctx);
}

function finish(
  rollout: RolloutState,
  outcome: NonNullable<RolloutState["rollbackOutcome"]>,
  ctx: PassContext,
): RolloutState {
  const type =
    outcome === "aborted"
      ? "rollout.aborted"
      : outcome === "failed"
        ? "rollout.failed"
        : "rollout.rolled_back";
  ctx.emit({
    type,
    severity: outcome === "aborted" ? "warning" : "error",
    service: rollout.service,
    message: `${rollout.service}: ${outcome.replace("_", " ")}; ${
      rollout.stableVersion ? `${rollout.stableVersion} serves 100% of traffic` : "no version is live"
    } (${rollout.reason ?? "no reason recorded"})`,
    data: { outcome, reason: rollout.reason, version: rollout.version, stableVersion: rollout.stableVersion },
  });
  return {
    ...rollout,
    status: outcome,
    phase: "completed",
    weight: 0,
    replicas: { new: 0, stable: rollout.stableVersion ? rollout.desiredReplicas : 0 },
    finishedAt: ctx.now,
  };
}
