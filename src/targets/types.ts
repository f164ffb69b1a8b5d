import type { Clock } from "../core/clock.js";
import type { TargetConfig } from "../core/config.js";
import type { Endpoint, Logger } from "../core/types.js";
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
}

/** An instance that ended on its own (not stopped by Tandem), with what it left in its log. */
export interface ExitedInstance {
  endpoint: Endpoint;
  detail: string;
}

export type TargetFactory = (config: TargetConfig, context: TargetContext) => Target;
