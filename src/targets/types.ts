import type { Clock } from "../core/clock.js";
import type { TargetConfig } from "../core/config.js";
import type { Endpoint, Logger } from "../core/types.js";
import type { ProbeResult } from "../probes/types.js";
import type { Store } from "../store/types.js";

export interface TargetContext {
  project: string;
  environment: string;
  service: string;
  /** Directory for logs and state (absolute). */
  stateDir: string;
  /** Directory relative paths in the configuration resolve against (absolute). */
  baseDir: string;
  store: Store;
  /**
   * The store with its instance writes held until the engine's pass writes the release, and committed
   * in that transaction (src/engine/instance-journal.ts). Only for a target whose instances die with
   * the engine's process (the sim's): a crash then loses the instances and their records together.
   * A target whose instances outlive the engine records them through `store`, as it starts them.
   */
  passStore?: Store;
  clock: Clock;
  log: Logger;
}

/**
 * Runs instances of a service's versions. The engine decides how many of which version; the target
 * starts and stops them. Instances outlive the engine: `list` adopts the ones an earlier engine started.
 */
export interface Target {
  /** Live instances (of one version, or all), oldest first. Instances found dead are forgotten. */
  list(version?: string): Promise<Endpoint[]>;
  /** Starts `count` more instances of `version` and returns them (they may not be ready yet). */
  start(version: string, count: number, signal: AbortSignal): Promise<Endpoint[]>;
  /** Stops these instances gracefully (SIGTERM, drain, SIGKILL after stopTimeout). */
  stop(endpoints: Endpoint[], signal: AbortSignal): Promise<void>;
  /**
   * Throws a TargetError when `version` cannot be started here at all (its directory is missing, say),
   * so that an impossible release is refused before anything moves.
   */
  verify?(version: string): void;
  /** Instances `list` found dead since the last call: they exited on their own. Each is reported once. */
  takeExited?(): ExitedInstance[];

  /*
   * Targets that deploy a version as a whole through someone else's tooling (command, github-actions)
   * rather than running instances themselves implement some of the following. `start` then begins the
   * deployment and returns at once with one endpoint standing for the deployed version; `check` says
   * whether that deployment is done and healthy.
   */

  /**
   * The target's own readiness check of one of its endpoints, run by the health monitor alongside the
   * configured probes. `pending: true` means "still deploying": neither a success nor a failure (the
   * rollout's progressDeadline bounds the wait).
   */
  check?(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult>;
  /** Sends the route weights (percent by version) to the target itself, after the router applied them. */
  setWeights?(weights: Record<string, number>, signal: AbortSignal): Promise<void>;
  /** Once, when a rollout completes: `version` now takes all traffic, `previous` is retired. */
  promote?(version: string, previous: string | undefined, signal: AbortSignal): Promise<void>;
  /** Once, when a rollout was rolled back: back from `from` to `to` (undefined: there was no stable version). */
  rollback?(from: string, to: string | undefined, signal: AbortSignal): Promise<void>;
  /** Actions the target ran since the last call, each reported once; the engine turns them into events. */
  takeActions?(): TargetActionRecord[];
}

/** One action a target ran (a user's command, a workflow run), for the event log. */
export interface TargetActionRecord {
  /** `deploy`, `setWeight`, `promote`, `rollback`, `teardown`, `status`, `workflow`… */
  action: string;
  version?: string;
  ok: boolean;
  durationMs: number;
  /** One line for people: `deploy.sh 2.0.0 exited with 1`, `run 42 concluded failure`. */
  message: string;
  /** The tail of what it printed (secrets redacted), or the run's URL and outputs. */
  output?: string;
}

/** An instance that ended on its own (not stopped by Tandem), with what it left in its log. */
export interface ExitedInstance {
  endpoint: Endpoint;
  detail: string;
}

export type TargetFactory = (config: TargetConfig, context: TargetContext) => Target;
