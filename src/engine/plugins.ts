import type { Clock } from "../core/clock.js";
import type { ServiceConfig } from "../core/config.js";
import { createHookRunner } from "../hooks/index.js";
import { createProbe } from "../probes/index.js";
import { ProbeMonitor } from "../probes/monitor.js";
import { createRouter } from "../routers/index.js";
import { createTarget } from "../targets/index.js";
import { SimProbe, simProbeConfig } from "../targets/sim.js";
import { hasCheck, TargetProbe } from "../targets/target-probe.js";
import type { Target } from "../targets/types.js";
import type { Plugins } from "./engine.js";

/**
 * The monitor for a service's instances. Simulated instances have no network address, so their
 * configured probes are answered by SimProbe (keeping each probe's name and timing). A target with its
 * own `check` adds a probe named after its type (see TargetProbe).
 */
export function createMonitor(service: ServiceConfig, clock: Clock, target?: Target): ProbeMonitor {
  if (service.target.type === "sim") {
    const configs = service.health.length > 0 ? service.health : [simProbeConfig()];
    return new ProbeMonitor(
      configs.map((config) => new SimProbe(config)),
      clock,
    );
  }
  const probes = service.health.map(createProbe);
  // A whole-version target's own check (is the deployment done and healthy?) runs with the probes.
  if (hasCheck(target)) probes.push(new TargetProbe(target, service.target.type, service.health[0]));
  return new ProbeMonitor(probes, clock);
}

export const defaultPlugins: Plugins = { createTarget, createRouter, createMonitor, createHookRunner };
