import type { Clock } from "../core/clock.js";
import type { ServiceConfig } from "../core/config.js";
import { createHookRunner } from "../hooks/index.js";
import { createProbe } from "../probes/index.js";
import { ProbeMonitor } from "../probes/monitor.js";
import { createRouter } from "../routers/index.js";
import { createTarget } from "../targets/index.js";
import { SimProbe, simProbeConfig } from "../targets/sim.js";
import type { Plugins } from "./engine.js";

/**
 * The monitor for a service's instances. Simulated instances have no network address, so their
 * configured probes are answered by SimProbe (keeping each probe's name and timing).
 */
export function createMonitor(service: ServiceConfig, clock: Clock): ProbeMonitor {
  if (service.target.type === "sim") {
    const configs = service.health.length > 0 ? service.health : [simProbeConfig()];
    return new ProbeMonitor(
      configs.map((config) => new SimProbe(config)),
      clock,
    );
  }
  return new ProbeMonitor(service.health.map(createProbe), clock);
}

export const defaultPlugins: Plugins = { createTarget, createRouter, createMonitor, createHookRunner };
