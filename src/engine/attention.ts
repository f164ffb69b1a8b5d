import type { Endpoint, RolloutState } from "../core/types.js";
import type { EndpointHealth } from "../probes/types.js";
import { sameRouteTable } from "../routers/route-table.js";
import type { RouteTable } from "../routers/types.js";
import type { ServiceRuntime } from "./runtime.js";

/**
 * The longest a rollout goes without a full pass, whatever it waits for: a pass also repairs drift that
 * no input shows (a router that lost its table without saying so), so a quiet rollout still gets one
 * this often.
 */
export const MAX_QUIET_MS = 10_000;

/** Health state by endpoint id, as seen before a full pass. */
export type HealthStates = Map<string, EndpointHealth["state"] | undefined>;

/** What a rollout's last full pass produced and saw at its end. */
interface Seen {
  /** The rollout the pass returned: the next pass skips only this very object (unchanged since). */
  rollout: RolloutState;
  /** Before this time nothing of the rollout's own is due (its pause ends, its deadline passes). */
  dueAt: number;
  endpoints: readonly Endpoint[];
  /** Each endpoint's health state: all of its health that a waiting rollout's pass reads. */
  health: readonly (EndpointHealth["state"] | undefined)[];
  table: RouteTable | undefined;
}

/**
 * Which rollouts of a release a pass may leave alone: those that wait for time (a timed pause, instances
 * getting ready before the progress deadline, a person until the pause timeout) while none of what
 * their pass reads has changed since the last full pass. A pass of a waiting rollout acts on:
 *  - its state (commands, another rollout's failure: the caller does not ask then; a write by another
 *    engine: the release is read again, so the rollout is a new object);
 *  - time (its timer: `dueAt`, and at most MAX_QUIET_MS after the last full pass);
 *  - its instances (the target's listing, instances that exited) and their health (the probes);
 *  - the router's table;
 *  - a target that reports actions of its own (command, github-actions): never skipped.
 * `quiet` is true only when each of these is as the last full pass left it; anything else (steps with
 * hooks, gates or analyses, background analysis, an action that failed) always gets a full pass.
 */
export class Attention {
  private readonly seen = new Map<string, Seen>();

  /** True when this rollout's pass can be skipped (see the class); false on any doubt, or error. */
  async quiet(
    rollout: RolloutState,
    runtime: ServiceRuntime,
    now: number,
    signal: AbortSignal,
    exited: () => boolean,
  ): Promise<boolean> {
    const seen = this.seen.get(rollout.service);
    if (!seen || seen.rollout !== rollout || now >= seen.dueAt) return false;
    // A target that reports actions of its own (a command's deploy running) gets every pass: its
    // actions are reported as they come.
    if (runtime.target.takeActions) return false;
    try {
      // Listing first: a target finds the instances that exited when it lists.
      const endpoints = await runtime.target.list();
      if (exited()) return false;
      if (endpoints.length !== seen.endpoints.length) return false;
      for (let i = 0; i < endpoints.length; i++) {
        const [is, was] = [endpoints[i]!, seen.endpoints[i]!];
        if (is.id !== was.id || is.version !== was.version || is.port !== was.port) return false;
        const state = runtime.monitor.health(is.id)?.state;
        if (state === undefined || state !== seen.health[i]) return false;
      }
      const table = await runtime.router.current(signal);
      return table === seen.table || (seen.table !== undefined && sameRouteTable(table, seen.table));
    } catch {
      return false;
    }
  }

  /**
   * Before a full pass: the health state of each listed endpoint, so that `record` can tell whether
   * one changed while the pass ran (after the pass read it: the pass did not act on the change).
   */
  async observe(runtime: ServiceRuntime): Promise<HealthStates | undefined> {
    try {
      const endpoints = await runtime.target.list();
      return new Map(endpoints.map((endpoint) => [endpoint.id, runtime.monitor.health(endpoint.id)?.state]));
    } catch {
      return undefined;
    }
  }

  /**
   * After a full pass: remembers what it returned and saw, when the rollout waits for something timed,
   * and nothing it waits on changed during the pass (`before`, from `observe`).
   */
  async record(
    rollout: RolloutState,
    runtime: ServiceRuntime,
    now: number,
    signal: AbortSignal,
    before: HealthStates | undefined,
  ): Promise<void> {
    this.seen.delete(rollout.service);
    const due = dueAt(rollout);
    if (due === undefined || due <= now || before === undefined) return;
    try {
      const endpoints = await runtime.target.list();
      const health = endpoints.map((endpoint) => runtime.monitor.health(endpoint.id)?.state);
      // An endpoint the pass started, one the probes do not watch, or one whose health moved while the
      // pass ran (the pass read the old state): the next pass must be a full one to act on it.
      for (let i = 0; i < endpoints.length; i++) {
        const id = endpoints[i]!.id;
        if (health[i] === undefined || !before.has(id) || before.get(id) !== health[i]) return;
      }
      const table = await runtime.router.current(signal);
      this.seen.set(rollout.service, {
        rollout,
        dueAt: Math.min(due, now + MAX_QUIET_MS),
        endpoints,
        health,
        table,
      });
    } catch {
      // Not remembered: the next pass is a full one.
    }
  }

  forget(service: string): void {
    this.seen.delete(service);
  }
}

/**
 * When a waiting rollout's next pass has something of its own to do, or undefined when it may act at
 * any pass (it is not waiting for time alone).
 */
export function dueAt(rollout: RolloutState): number | undefined {
  if (rollout.phase !== "progressing" || rollout.lastError !== undefined) return undefined;
  if (rollout.backgroundAnalysis !== undefined) return undefined;
  const step = rollout.steps[rollout.stepIndex];
  if (!step) return undefined;
  if (rollout.status === "running" && step.type === "pause" && step.auto !== true) {
    if (step.duration !== undefined) return rollout.stepStartedAt + step.duration;
    return undefined;
  }
  if (rollout.status === "paused" && step.type === "pause" && step.duration === undefined) {
    // Waiting for `tandem resume` (a command: the caller does not skip then) until the pause timeout.
    if (step.auto === true || rollout.pausedSince === undefined) return undefined;
    return rollout.pausedSince + rollout.pauseTimeout + 1;
  }
  if (rollout.status === "running" && step.type === "scale") {
    // Waiting for started instances to be ready (their health) until the progress deadline.
    return rollout.stepStartedAt + rollout.progressDeadline + 1;
  }
  return undefined;
}
