import { formatDuration } from "../core/duration.js";
import { type Endpoint, isTerminal, type RolloutState, type Step } from "../core/types.js";
import { comparisonsPassed } from "./analysis-run.js";
import { analysisStep, backgroundAnalysis } from "./analysis-step.js";
import { describeStep } from "./describe.js";
import { approvalStep, hookStep, type StepOutcome } from "./gate-steps.js";
import { observe, scale, syncRoutes, type View } from "./instances.js";
import type { PassContext } from "./pass-context.js";
import { rollBack } from "./rollback.js";
import type { ServiceRuntime } from "./runtime.js";
import { promoteOnTarget, TargetActionFailed } from "./target-sync.js";
import { advanceStep, beginRollback } from "./transitions.js";

/**
 * One reconcile pass of one rollout: observe the instances, act on the current step, return the new
 * state, with the instances as they stand afterwards. Every action is idempotent, so a pass
 * interrupted at any point is simply run again.
 */
export async function reconcileRollout(
  input: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<RolloutState> {
  const next = await moveRollout(input, runtime, ctx);
  const count = (endpoints: Endpoint[]) => ({
    ready: endpoints.filter((e) => runtime.monitor.health(e.id)?.state === "ready").length,
    total: endpoints.length,
  });
  if (isTerminal(next.status)) {
    if (isTerminal(input.status)) return next;
    // The pass that ends the rollout records the instances as they stand at its end (the last count
    // was taken a pass earlier, often before the new instances were ready); nothing is watched anew.
    const stable = next.stableVersion && next.stableVersion !== next.version;
    const [newEndpoints, stableEndpoints] = await Promise.all([
      runtime.target.list(next.version),
      stable ? runtime.target.list(next.stableVersion!) : Promise.resolve([]),
    ]).catch(() => [undefined, undefined] as const);
    if (!newEndpoints || !stableEndpoints) return { ...next, instances: undefined };
    return { ...next, instances: { new: count(newEndpoints), stable: count(stableEndpoints) } };
  }
  const view = await observe(next, runtime);
  return { ...next, instances: { new: count(view.newEndpoints), stable: count(view.stableEndpoints) } };
}

async function moveRollout(
  input: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<RolloutState> {
  let rollout = input;
  if (isTerminal(rollout.status)) return rollout;
  if (rollout.status === "pending") rollout = start(rollout, ctx);
  try {
    return await progress(rollout, runtime, ctx);
  } catch (error) {
    // A target hook that failed (setWeight, promote): roll back, saying why. While rolling back, the
    // pass is retried instead (until the progress deadline).
    if (!(error instanceof TargetActionFailed) || rollout.phase === "rolling_back") throw error;
    return beginRollback(rollout, error.message, "rolled_back", ctx);
  }
}

async function progress(
  input: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<RolloutState> {
  let rollout = input;
  await runtime.router.ensure(ctx.signal);
  let view = await observe(rollout, runtime);

  const crashed = runtime.target.takeExited?.().find((exit) => exit.endpoint.version === rollout.version);
  if (rollout.phase === "rolling_back") return rollBack(rollout, runtime, view, ctx);
  await syncRoutes(rollout, runtime, view, ctx);
  if (crashed) {
    const where = `${crashed.endpoint.host}:${crashed.endpoint.port}`;
    return beginRollback(
      rollout,
      `instance ${where} of ${rollout.version} ${crashed.detail}`,
      "rolled_back",
      ctx,
    );
  }

  const failure = view.newEndpoints
    .map((e) => runtime.monitor.health(e.id))
    .find((h) => h?.state === "failed")?.failure;
  if (failure) {
    ctx.emit({
      type: "rollout.probe_failed",
      severity: "error",
      service: rollout.service,
      message: `${rollout.service}@${rollout.version}: probe ${failure.probe} failed on ${failure.endpoint}: ${failure.message}`,
      data: { ...failure },
    });
    return beginRollback(
      { ...rollout, probeFailure: failure },
      `probe ${failure.probe} failed on ${failure.endpoint}: ${failure.message}`,
      "rolled_back",
      ctx,
    );
  }

  rollout = await backgroundAnalysis(rollout, runtime, ctx);
  if (rollout.phase === "rolling_back" || rollout.backgroundRun?.phase === "inconclusive") return rollout;

  for (let guard = 0; guard <= rollout.steps.length; guard++) {
    const step = rollout.steps[rollout.stepIndex];
    if (!step) return complete(rollout, runtime, ctx);
    const outcome = await executeStep(step, rollout, runtime, view, ctx);
    if (!outcome.done) return outcome.rollout;
    rollout = advanceStep(outcome.rollout, ctx);
    view = await observe(rollout, runtime);
  }
  return rollout;
}

function start(rollout: RolloutState, ctx: PassContext): RolloutState {
  ctx.emit({
    type: "rollout.started",
    service: rollout.service,
    message: `${rollout.service}: ${rollout.stableVersion ?? "(none)"} -> ${rollout.version}, ${rollout.steps.length} steps`,
    data: { version: rollout.version, stableVersion: rollout.stableVersion, steps: rollout.steps },
  });
  const first = rollout.steps[0];
  if (first) {
    ctx.emit({
      type: "rollout.step_started",
      service: rollout.service,
      message: `${rollout.service}: step 1/${rollout.steps.length}: ${describeStep(first)}`,
      data: { stepIndex: 0, step: first },
    });
  }
  return { ...rollout, status: "running", startedAt: ctx.now, stepStartedAt: ctx.now };
}

async function executeStep(
  step: Step,
  rollout: RolloutState,
  runtime: ServiceRuntime,
  view: View,
  ctx: PassContext,
): Promise<StepOutcome> {
  switch (step.type) {
    case "setWeight": {
      const next = { ...rollout, weight: step.weight };
      await syncRoutes(next, runtime, view, ctx);
      if (rollout.weight !== step.weight) {
        ctx.emit({
          type: "rollout.weight_changed",
          service: rollout.service,
          message: `${rollout.service}: ${step.weight}% of traffic to ${rollout.version}`,
          data: { weight: step.weight, previous: rollout.weight },
        });
      }
      return { done: true, rollout: next };
    }
    case "pause":
      return pause(step, rollout, ctx);
    case "approval":
      return approvalStep(step, rollout, ctx);
    case "hook":
      return hookStep(step, rollout, ctx);
    case "analysis":
      return analysisStep(step, rollout, runtime, ctx);
    case "scale": {
      const result = await scale(step.track, step.replicas, rollout, runtime, view, ctx);
      if (result.state === "done") {
        return {
          done: true,
          rollout: { ...rollout, replicas: { ...rollout.replicas, [step.track]: step.replicas } },
        };
      }
      if (result.state === "waiting") return { done: false, rollout };
      if (result.deadline) {
        ctx.emit({
          type: "rollout.deadline_exceeded",
          severity: "error",
          service: rollout.service,
          message: result.reason,
        });
      }
      return { done: false, rollout: beginRollback(rollout, result.reason, result.outcome, ctx) };
    }
  }
}

function pause(step: Extract<Step, { type: "pause" }>, rollout: RolloutState, ctx: PassContext): StepOutcome {
  if (step.auto === true && step.duration === undefined) {
    // `pause: auto`: only the background analysis's "not worse" ends it; pauseTimeout bounds the wait.
    if (comparisonsPassed(rollout.backgroundRun)) return { done: true, rollout };
    if (ctx.now <= rollout.stepStartedAt + rollout.pauseTimeout) return { done: false, rollout };
    const reason = `the background analysis did not show the new version not worse within ${formatDuration(rollout.pauseTimeout)} (pause: auto)`;
    ctx.emit({
      type: "rollout.deadline_exceeded",
      severity: "error",
      service: rollout.service,
      message: reason,
    });
    return { done: false, rollout: beginRollback(rollout, reason, "failed", ctx) };
  }
  if (step.duration !== undefined) {
    const early = step.auto === true && comparisonsPassed(rollout.backgroundRun);
    return { done: early || ctx.now >= rollout.stepStartedAt + step.duration, rollout };
  }
  if (rollout.pausedSince === undefined) {
    const reason = step.reason ?? "paused until resumed";
    ctx.emit({
      type: "rollout.paused",
      severity: "warning",
      service: rollout.service,
      message: `${rollout.service}: ${reason}; run \`tandem resume\` to continue or \`tandem abort\` to roll back`,
      data: { reason, timeoutMs: rollout.pauseTimeout },
    });
    return {
      done: false,
      rollout: { ...rollout, status: "paused", pausedSince: ctx.now, pauseReason: reason },
    };
  }
  if (ctx.now > rollout.pausedSince + rollout.pauseTimeout) {
    const reason = `nobody resumed the pause within ${formatDuration(rollout.pauseTimeout)}`;
    ctx.emit({
      type: "rollout.deadline_exceeded",
      severity: "error",
      service: rollout.service,
      message: reason,
    });
    return { done: false, rollout: beginRollback(rollout, reason, "failed", ctx) };
  }
  return { done: false, rollout };
}

async function complete(
  rollout: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<RolloutState> {
  await promoteOnTarget(rollout, runtime, ctx.signal);
  const strays = (await runtime.target.list()).filter((e) => e.version !== rollout.version);
  if (strays.length > 0) await runtime.target.stop(strays, ctx.signal);
  ctx.emit({
    type: "rollout.succeeded",
    service: rollout.service,
    message: `${rollout.service}: ${rollout.version} is live (100% of traffic)`,
    data: { version: rollout.version, previous: rollout.stableVersion },
  });
  return { ...rollout, status: "succeeded", phase: "completed", weight: 100, finishedAt: ctx.now };
}
