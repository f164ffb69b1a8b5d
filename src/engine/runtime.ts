import type { ServiceConfig } from "../core/config.js";
import type { Endpoint } from "../core/types.js";
import type { EndpointHealth } from "../probes/types.js";
import type { Router } from "../routers/types.js";
import type { Target } from "../targets/types.js";

/** Watches endpoints' health (src/probes/monitor.ts implements it). */
export interface HealthMonitor {
  watch(endpoints: Endpoint[]): void;
  health(endpointId: string): EndpointHealth | undefined;
  stop(): void;
  /** Called when an endpoint turns failed (the engine ejects it from the router at once). */
  onFailed?(listener: (endpoint: Endpoint) => void): () => void;
}

/** The side-effecting parts the engine drives for one service in one environment. */
export interface ServiceRuntime {
  service: ServiceConfig;
  target: Target;
  router: Router;
  monitor: HealthMonitor;
}
