import { formatDuration } from "../core/duration.js";
import { TargetError } from "../core/errors.js";
import type { Endpoint, RolloutState } from "../core/types.js";
import { sameRouteTable } from "../routers/route-table.js";
import type { PassContext } from "./pass-context.js";
import { desiredRouteTable, routedEndpointIds } from "./routes.js";
import type { ServiceRuntime } from "./runtime.js";
import { sendTargetWeights } from "./target-sync.js";

/**
 * What a pass does to one rollout's instances and routes, shared by the forward pass (rollout.ts) and
 * the rollback pass (rollback.ts): look at the instances, make the router serve the table derived from
 * state, scale a track, drain and stop endpoints. Every action is idempotent.
 */

/** How long a removed endpoint may take to finish its in-flight requests before it is stopped. */
export const DRAIN_TIMEOUT_MS = 10_000;

export interface View {
  newEndpoints: Endpoint[];
  stableEndpoints: Endpoint[];
}

export async function observe(rollout: RolloutState, runtime: ServiceRuntime): Promise<View> {
  const newEndpoints = await runtime.target.list(rollout.version);
  const stableEndpoints =
    rollout.stableVersion && rollout.stableVersion !== rollout.version
      ? await runtime.target.list(rollout.stableVersion)
      : [];
  runtime.monitor.watch([...newEndpoints, ...stableEndpoints]);
  return { newEndpoints, stableEndpoints };
}

/**
 * Makes the router serve the table derived from state; does nothing when it already does. Then a target
 * that takes weights itself (setWeights) gets them, when they changed.
 */
export async function syncRoutes(
  rollout: RolloutState,
  runtime: ServiceRuntime,
  view: View,
  ctx: PassContext,
  excluded?: ReadonlySet<string>,
): Promise<void> {
  const current = await runtime.router.current(ctx.signal);
  const desired = desiredRouteTable({
    rollout,
    newEndpoints: view.newEndpoints,
    stableEndpoints: view.stableEndpoints,
    health: (id) => runtime.monitor.health(id),
    routedNow: routedEndpointIds(current),
    excluded,
  });
  if (!sameRouteTable(current, desired)) await runtime.router.apply(desired, ctx.signal);
  await sendTargetWeights(rollout, runtime, desired, ctx.signal);
}

export type ScaleResult =
  | { state: "done" }
  | { state: "waiting" }
  | { state: "failed"; reason: string; outcome: "rolled_back" | "failed"; deadline: boolean };

/** Brings a track to `replicas` instances; new instances must become ready within the progress deadline. */
export async function scale(
  track: "new" | "stable",
  replicas: number,
  rollout: RolloutState,
  runtime: ServiceRuntime,
  view: View,
  ctx: PassContext,
): Promise<ScaleResult> {
  const version = track === "new" ? rollout.version : rollout.stableVersion;
  const endpoints = track === "new" ? view.newEndpoints : view.stableEndpoints;
  if (!version) return { state: "done" };

  if (endpoints.length > replicas) {
    await stopEndpoints(endpoints.slice(replicas), rollout, runtime, view, ctx);
    ctx.emit({
      type: "rollout.scaled",
      service: rollout.service,
      message: `${rollout.service}: ${version} scaled down to ${replicas}`,
      data: { version, track, replicas },
    });
    return { state: "done" };
  }
  if (endpoints.length < replicas) {
    try {
      const started = await runtime.target.start(version, replicas - endpoints.length, ctx.signal);
      runtime.monitor.watch([...view.newEndpoints, ...view.stableEndpoints, ...started]);
      ctx.emit({
        type: "rollout.scaled",
        service: rollout.service,
        message: `${rollout.service}: starting ${started.length} instance(s) of ${version} (${replicas} wanted)`,
        data: { version, track, replicas, started: started.map((e) => `${e.host}:${e.port}`) },
      });
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      return { state: "failed", reason: error.message, outcome: "failed", deadline: false };
    }
    return { state: "waiting" };
  }
  const notReady = endpoints.filter((e) => runtime.monitor.health(e.id)?.state !== "ready");
  if (notReady.length === 0) return { state: "done" };
  if (ctx.now > rollout.stepStartedAt + rollout.progressDeadline) {
    const last = runtime.monitor.health(notReady[0]!.id)?.lastResult;
    const reason =
      `${notReady.length} of ${replicas} instance(s) of ${version} not ready after ` +
      `${formatDuration(rollout.progressDeadline)}${last ? ` (last check: ${last.probe}: ${last.message})` : ""}`;
    return { state: "failed", reason, outcome: "rolled_back", deadline: true };
  }
  return { state: "waiting" };
}

/** Takes endpoints out of the route table, lets their requests finish, then stops them. */
export async function stopEndpoints(
  victims: Endpoint[],
  rollout: RolloutState,
  runtime: ServiceRuntime,
  view: View,
  ctx: PassContext,
): Promise<void> {
  if (victims.length === 0) return;
  const ids = new Set(victims.map((e) => e.id));
  await syncRoutes(rollout, runtime, view, ctx, ids);
  await runtime.router.drain([...ids], DRAIN_TIMEOUT_MS, ctx.signal);
  await runtime.target.stop(victims, ctx.signal);
}
