import type { Clock } from "../core/clock.js";
import type { RouterConfig } from "../core/config.js";
import type { Logger } from "../core/types.js";
import type { Store } from "../store/types.js";

export interface RouteEndpoint {
  id: string;
  host: string;
  port: number;
}

export interface RouteBackend {
  version: string;
  /** Percent of requests, 0..100; the weights of a table add up to 100 (or the table is empty). */
  weight: number;
  endpoints: RouteEndpoint[];
}

export interface RouteTable {
  backends: RouteBackend[];
  /**
   * What the preview listener (router `previewListen`) serves: the new version alone, so people and
   * checks can try it before any real traffic moves. Absent: the preview listener holds its requests.
   */
  preview?: { version: string; endpoints: RouteEndpoint[] };
}

export interface LatencyHistogram {
  /** Upper bounds in milliseconds, ascending; the last bucket is +Inf and is not listed. */
  boundsMs: number[];
  /** counts.length === boundsMs.length + 1 */
  counts: number[];
}

export interface VersionStats {
  requests: number;
  /** Responses with status >= 500, and requests the router could not deliver. */
  errors: number;
  inFlight: number;
  latency: LatencyHistogram;
}

export interface RouterContext {
  project: string;
  environment: string;
  service: string;
  stateDir: string;
  store: Store;
  clock: Clock;
  log: Logger;
}

/**
 * Sends a service's traffic to its versions by weight. The builtin router is a separate process that
 * keeps serving when the engine dies; `ensure` adopts it (pid and port are in the store).
 */
export interface Router {
  /** Starts the data plane if it is not running, or adopts the running one. */
  ensure(signal: AbortSignal): Promise<void>;
  /** Atomically replaces the route table and verifies that the router serves it. */
  apply(table: RouteTable, signal: AbortSignal): Promise<void>;
  current(signal: AbortSignal): Promise<RouteTable | undefined>;
  /** Per-version statistics since the router started, keyed by version. */
  stats(signal: AbortSignal): Promise<Record<string, VersionStats>>;
  /** Waits until no request is in flight to these endpoints (removed from the table before), or the timeout. */
  drain(endpointIds: string[], timeoutMs: number, signal: AbortSignal): Promise<void>;
  /**
   * Takes these endpoints out of traffic at once, without waiting for the next route table (a probe
   * has failed them). They stay out while later tables list them. Optional: a router without it
   * drops them with the next table.
   */
  eject?(endpointIds: string[], signal: AbortSignal): Promise<void>;
  /** Stops the data plane (used by `tandem down`). */
  stop(signal: AbortSignal): Promise<void>;
  /** Where clients send traffic, when there is such a place. */
  address(): { host: string; port: number } | undefined;
}

export type RouterFactory = (config: RouterConfig, context: RouterContext) => Router;
