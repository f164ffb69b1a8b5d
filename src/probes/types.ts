import type { ProbeConfig } from "../core/config.js";
import type { Endpoint } from "../core/types.js";

export interface ProbeResult {
  ok: boolean;
  /** What was seen, for people: `GET http://127.0.0.1:4101/health -> 500 (expected 200-399)`. */
  message: string;
  durationMs: number;
  /**
   * The thing checked is still being deployed (a target's own check, see Target.check): counts as
   * neither a success nor a failure.
   */
  pending?: boolean;
}

export interface Probe {
  readonly name: string;
  readonly config: ProbeConfig;
  /** One check; never throws for an unhealthy endpoint (ok: false), honours config.timeout and the signal. */
  check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult>;
}

/** Health of one endpoint as the monitor sees it, Kubernetes-style. */
export interface EndpointHealth {
  endpointId: string;
  state: "starting" | "ready" | "failed";
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  /** The check that made it fail, when state is failed. */
  failure?: { probe: string; endpoint: string; message: string; at: number };
  lastResult?: ProbeResult & { probe: string; at: number };
}
