import { randomBytes } from "node:crypto";
import type { Clock } from "../core/clock.js";
import type { ProbeConfig, ProbeTiming, TargetConfig } from "../core/config.js";
import type { Endpoint } from "../core/types.js";
import type { Probe, ProbeResult } from "../probes/types.js";
import type { InstanceRecord } from "../store/types.js";
import { endpointOf, oldestFirst, safeSegment } from "./instance-id.js";
import type { Target, TargetContext } from "./types.js";

export type SimTargetConfig = Extract<TargetConfig, { type: "sim" }>;

/** Host of every simulated instance; nothing listens there. */
export const SIM_HOST = "sim";
const FIRST_SIM_PORT = 40_000;

interface SimInstance {
  /** Clock time from which the instance has finished starting. */
  readyAt: number;
  unhealthy: boolean;
  clock: Clock;
}

/**
 * Every simulated instance known in this process, by endpoint id. Module-wide on purpose: probes see
 * an endpoint only, and an engine restarted in the same process (tests, the simulator) adopts the
 * instances through the store, re-registering them here.
 */
const simInstances = new Map<string, SimInstance>();
let nextSimPort = FIRST_SIM_PORT;

export type SimHealth = "starting" | "healthy" | "unhealthy" | "unknown";

/** How a simulated instance is doing now (by its target's clock); `unknown` when it is not running. */
export function simHealth(endpoint: Pick<Endpoint, "id">): SimHealth {
  const instance = simInstances.get(endpoint.id);
  if (!instance) return "unknown";
  if (instance.clock.now() < instance.readyAt) return "starting";
  return instance.unhealthy ? "unhealthy" : "healthy";
}

export function isSimHealthy(endpoint: Pick<Endpoint, "id">): boolean {
  return simHealth(endpoint) === "healthy";
}

/** Forgets every simulated instance of this process (between tests). */
export function resetSimInstances(): void {
  simInstances.clear();
  nextSimPort = FIRST_SIM_PORT;
}

/**
 * A target with no processes, for tests and the simulator: instances exist in memory (host "sim",
 * fake ports), take `startupTime` of virtual time to start, and report unhealthy when their version
 * is listed in `unhealthyVersions`. They are recorded in the store like process instances, so `list`
 * adopts the instances an earlier engine started.
 *
 * The first `list` reads the store; later ones answer from what this target read, started and
 * stopped since (a pass lists every rollout's target: at 10,000 services, a query each). Simulated
 * instances live in this process only, so nothing else starts one behind this target's back; a new
 * SimTarget (an engine restarted) reads the store again.
 */
export class SimTarget implements Target {
  /** Oldest first; undefined until the first `list` has read the store. */
  private known: Endpoint[] | undefined;

  constructor(
    private readonly config: SimTargetConfig,
    private readonly ctx: TargetContext,
  ) {}

  /** Sim instances die with the process that holds them: their records go with the engine's pass. */
  private instanceStore() {
    return this.ctx.passStore ?? this.ctx.store;
  }

  async list(version?: string): Promise<Endpoint[]> {
    if (!this.known) {
      const records = await this.instanceStore().listInstances(this.scope());
      for (const record of records) {
        if (!simInstances.has(record.id)) this.register(record);
      }
      this.known = oldestFirst(records.map(endpointOf));
    }
    return version === undefined
      ? [...this.known]
      : this.known.filter((endpoint) => endpoint.version === version);
  }

  async start(version: string, count: number, signal: AbortSignal): Promise<Endpoint[]> {
    const started: Endpoint[] = [];
    for (let i = 0; i < count; i++) {
      signal.throwIfAborted();
      const record: InstanceRecord = {
        ...this.scope(),
        id: simInstanceId(this.ctx.service, version),
        version,
        host: SIM_HOST,
        port: nextSimPort++,
        startedAt: this.ctx.clock.now(),
        logFile: "",
      };
      await this.instanceStore().putInstance(record);
      this.register(record);
      started.push(endpointOf(record));
      this.known?.push(endpointOf(record));
    }
    return started;
  }

  async stop(endpoints: Endpoint[], signal: AbortSignal): Promise<void> {
    for (const endpoint of endpoints) {
      signal.throwIfAborted();
      simInstances.delete(endpoint.id);
      await this.instanceStore().deleteInstance(endpoint.id);
      if (this.known) this.known = this.known.filter((known) => known.id !== endpoint.id);
    }
  }

  private register(record: InstanceRecord): void {
    simInstances.set(record.id, {
      readyAt: record.startedAt + this.config.startupTime,
      unhealthy: this.config.unhealthyVersions.includes(record.version),
      clock: this.ctx.clock,
    });
  }

  private scope(): { project: string; environment: string; service: string } {
    return { project: this.ctx.project, environment: this.ctx.environment, service: this.ctx.service };
  }
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
/** Random bytes drawn ahead: a `randomBytes` call per instance costs more than the rest of starting one. */
let pool = Buffer.alloc(0);
let pooled = 0;

/** `<service>-<version>-<random6>`, as `newInstanceId` (instance-id.ts), from a pool of random bytes. */
function simInstanceId(service: string, version: string): string {
  if (pooled + 6 > pool.length) {
    pool = randomBytes(6 * 1024);
    pooled = 0;
  }
  let suffix = "";
  for (let i = 0; i < 6; i++) suffix += ALPHABET[pool[pooled++]! % ALPHABET.length];
  return `${safeSegment(service)}-${safeSegment(version)}-${suffix}`;
}

/**
 * A probe configuration for SimProbe when the service configures none. There is no "sim" probe type,
 * so it is a `tcp` configuration named "sim" (never used to open a socket).
 */
export function simProbeConfig(overrides: Partial<ProbeTiming> & { name?: string } = {}): ProbeConfig {
  return {
    type: "tcp",
    name: overrides.name ?? "sim",
    initialDelay: overrides.initialDelay ?? 0,
    period: overrides.period ?? 1_000,
    timeout: overrides.timeout ?? 1_000,
    failureThreshold: overrides.failureThreshold ?? 3,
    successThreshold: overrides.successThreshold ?? 1,
  };
}

/**
 * A probe for simulated instances: healthy unless the version is unhealthy or the instance has not
 * finished starting. Give it a service's probe configuration to keep its name and timing
 * (`service.health.map((config) => new SimProbe(config))`).
 */
export class SimProbe implements Probe {
  readonly name: string;
  readonly config: ProbeConfig;

  constructor(config: ProbeConfig = simProbeConfig()) {
    this.config = config;
    this.name = config.name;
  }

  async check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const what = `sim instance ${endpoint.id}`;
    if (signal.aborted) return { ok: false, message: `${what}: check aborted`, durationMs: 0 };
    const health = simHealth(endpoint);
    switch (health) {
      case "healthy":
        return { ok: true, message: `${what} is healthy`, durationMs: 0 };
      case "starting": {
        const instance = simInstances.get(endpoint.id)!;
        const remaining = instance.readyAt - instance.clock.now();
        return { ok: false, message: `${what} is starting (ready in ${remaining}ms)`, durationMs: 0 };
      }
      case "unhealthy":
        return {
          ok: false,
          message: `${what} is unhealthy (version ${endpoint.version} is in unhealthyVersions)`,
          durationMs: 0,
        };
      case "unknown":
        return { ok: false, message: `${what} is not running`, durationMs: 0 };
    }
  }
}
