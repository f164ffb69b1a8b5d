import { TargetError } from "../core/errors.js";
import type { RolloutState } from "../core/types.js";
import type { RouteTable } from "../routers/types.js";
import type { PassContext } from "./pass-context.js";
import type { ServiceRuntime } from "./runtime.js";

/*
 * The engine's side of whole-version targets (command, github-actions): the optional Target hooks
 * setWeights, promote, rollback and takeActions. Targets without them behave exactly as before.
 */

/** A target hook failed in a way that must roll the rollout back (its message says why, for people). */
export class TargetActionFailed extends TargetError {}

/** The weights each runtime's target last accepted (a restarted engine sends the current ones once more). */
const sentWeights = new WeakMap<ServiceRuntime, string>();

/** `{ "1.0.0": 80, "2.0.0": 20 }` from a route table. */
export function tableWeights(table: RouteTable): Record<string, number> {
  return Object.fromEntries(table.backends.map((backend) => [backend.version, backend.weight]));
}

function weightsKey(weights: Record<string, number>): string {
  return JSON.stringify(Object.entries(weights).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * After the router applied `table`: sends its weights to the target, only when they differ from the
 * last ones it accepted and every version they give traffic to has a routed (ready) endpoint. Before anything was sent, the stable version taking everything counts as sent
 * (the world as the rollout found it). A failure throws TargetActionFailed.
 */
export async function sendTargetWeights(
  rollout: RolloutState,
  runtime: ServiceRuntime,
  table: RouteTable,
  signal: AbortSignal,
): Promise<void> {
  const { target } = runtime;
  if (!target.setWeights) return;
  // Traffic goes to a version only once it is ready (a first release's deploy may still be running);
  // while rolling back, the weights go back whatever is ready.
  const unready = table.backends.some((backend) => backend.weight > 0 && backend.endpoints.length === 0);
  if (unready && rollout.phase !== "rolling_back") return;
  const weights = tableWeights(table);
  const key = weightsKey(weights);
  const baseline =
    rollout.stableVersion && rollout.stableVersion !== rollout.version
      ? weightsKey({ [rollout.stableVersion]: 100, [rollout.version]: 0 })
      : undefined;
  if (key === (sentWeights.get(runtime) ?? baseline)) return;
  try {
    await target.setWeights(weights, signal);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    throw new TargetActionFailed(error.message, { cause: error, hint: error.hint });
  }
  sentWeights.set(runtime, key);
}

/**
 * When the rollout completes: the target makes the new version the live one. Runs in the pass that
 * makes the rollout terminal, so the stored status is the record that it ran (it runs again only if
 * the engine dies between the command and that write). A failure throws TargetActionFailed.
 */
export async function promoteOnTarget(
  rollout: RolloutState,
  runtime: ServiceRuntime,
  signal: AbortSignal,
): Promise<void> {
  if (!runtime.target.promote) return;
  try {
    await runtime.target.promote(rollout.version, rollout.stableVersion ?? undefined, signal);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    throw new TargetActionFailed(error.message, { cause: error, hint: error.hint });
  }
}

/**
 * When a rollback has finished (traffic back on the stable version, the new one stopped): the target
 * rolls back too, in the pass that ends the rollout (same once-guarantee as promote). Returns why it
 * failed, for the rollout's reason: the rollback itself has happened and is not undone.
 */
export async function rollbackOnTarget(
  rollout: RolloutState,
  runtime: ServiceRuntime,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (!runtime.target.rollback) return undefined;
  try {
    await runtime.target.rollback(rollout.version, rollout.stableVersion ?? undefined, signal);
    return undefined;
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    return error.message;
  }
}

/** Turns the actions the target ran since the last pass into `rollout.target_action` events. */
export function drainTargetActions(rollout: RolloutState, runtime: ServiceRuntime, ctx: PassContext): void {
  for (const action of runtime.target.takeActions?.() ?? []) {
    ctx.emit({
      type: "rollout.target_action",
      severity: action.ok ? "info" : "error",
      service: rollout.service,
      message: `${rollout.service}: ${action.action}${action.version ? ` ${action.version}` : ""}: ${action.message}`,
      data: {
        action: action.action,
        version: action.version,
        ok: action.ok,
        durationMs: action.durationMs,
        output: action.output,
      },
    });
  }
}
