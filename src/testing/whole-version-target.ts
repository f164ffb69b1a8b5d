import type { Clock } from "../core/clock.js";
import { TargetError } from "../core/errors.js";
import type { Endpoint } from "../core/types.js";
import type { ProbeResult } from "../probes/types.js";
import type { Target, TargetActionRecord } from "../targets/types.js";

export interface FakeWholeVersionOptions {
  /** Clock time a deployment takes (pending until then). Default 5s; Infinity never finishes. */
  deployTime?: number;
  /** Versions whose deployment fails once it has run. */
  failingVersions?: string[];
  /** Make setWeights throw a TargetError when the new version's weight reaches this. */
  failSetWeightAt?: number;
  /** Make promote throw a TargetError. */
  failPromote?: boolean;
}

/**
 * A whole-version target (like the command or github-actions targets) in memory, timed by the clock:
 * one endpoint per version, pending while it "deploys", recording every hook the engine calls.
 */
export class FakeWholeVersionTarget implements Target {
  readonly deployments = new Map<string, Endpoint>();
  readonly weightCalls: Record<string, number>[] = [];
  readonly promoteCalls: Array<[string, string | undefined]> = [];
  readonly rollbackCalls: Array<[string, string | undefined]> = [];
  readonly stopped: string[] = [];
  private readonly actions: TargetActionRecord[] = [];
  private readonly reported = new Set<string>();

  constructor(
    private readonly clock: Clock,
    /** Mutable: a test may change the behaviour between releases. */
    readonly options: FakeWholeVersionOptions = {},
  ) {}

  async list(version?: string): Promise<Endpoint[]> {
    return [...this.deployments.values()].filter((e) => version === undefined || e.version === version);
  }

  async start(version: string): Promise<Endpoint[]> {
    if (this.deployments.has(version)) return [];
    const endpoint: Endpoint = {
      id: `fake-${version}`,
      version,
      host: "fake",
      port: 0,
      startedAt: this.clock.now(),
    };
    this.deployments.set(version, endpoint);
    this.reported.delete(version);
    return [endpoint];
  }

  async stop(endpoints: Endpoint[]): Promise<void> {
    for (const endpoint of endpoints) {
      this.deployments.delete(endpoint.version);
      this.stopped.push(endpoint.version);
    }
  }

  async check(endpoint: Endpoint): Promise<ProbeResult> {
    const deployTime = this.options.deployTime ?? 5_000;
    if (this.clock.now() < endpoint.startedAt + deployTime) {
      return { ok: false, pending: true, message: `deploying ${endpoint.version}`, durationMs: 0 };
    }
    const failed = this.options.failingVersions?.includes(endpoint.version) ?? false;
    const message = failed
      ? `deploy.sh exited with 1: image ${endpoint.version} not found`
      : `deployed ${endpoint.version}`;
    if (!this.reported.has(endpoint.version)) {
      this.reported.add(endpoint.version);
      this.actions.push({
        action: "deploy",
        version: endpoint.version,
        ok: !failed,
        durationMs: deployTime,
        message,
        output: message,
      });
    }
    return { ok: !failed, message, durationMs: 0 };
  }

  async setWeights(weights: Record<string, number>): Promise<void> {
    const values = Object.values(weights);
    const newest = values.at(-1) ?? 0;
    if (
      this.options.failSetWeightAt !== undefined &&
      newest >= this.options.failSetWeightAt &&
      values.length > 1
    ) {
      this.actions.push({
        action: "setWeight",
        ok: false,
        durationMs: 1,
        message: "set-weight.sh exited with 2: lb refused",
      });
      throw new TargetError("setWeight: set-weight.sh exited with 2: lb refused");
    }
    this.weightCalls.push({ ...weights });
  }

  async promote(version: string, previous: string | undefined): Promise<void> {
    if (this.options.failPromote) {
      this.actions.push({
        action: "promote",
        version,
        ok: false,
        durationMs: 1,
        message: "promote.sh exited with 1: dns",
      });
      throw new TargetError(`promote of ${version}: promote.sh exited with 1: dns`);
    }
    this.promoteCalls.push([version, previous]);
  }

  async rollback(from: string, to: string | undefined): Promise<void> {
    this.rollbackCalls.push([from, to]);
    this.actions.push({
      action: "rollback",
      version: from,
      ok: true,
      durationMs: 1,
      message: `back to ${to}`,
    });
  }

  takeActions(): TargetActionRecord[] {
    return this.actions.splice(0);
  }
}
