import type { VersionSample } from "../analysis/types.js";
import type { Clock } from "../core/clock.js";
import type { Router, RouteTable, VersionStats } from "../routers/types.js";
import { accumulate, emptySample, type TrafficTrace } from "./traffic.js";

/** What the simulated traffic did to the new version over the whole run. */
export interface TrafficTotals {
  canary: Required<VersionSample>;
  baseline: Required<VersionSample>;
  /** New-version requests that failed and would have succeeded on the stable version. */
  failedBecauseOfCanary: number;
}

/**
 * A router with no data plane for `tandem simulate`: the engine sets its weights as it would a real
 * one, and simulated traffic (a seeded trace, one tick per simulated second) is split by those weights
 * between the stable version and the new one. `stats` serves what the builtin router would have counted.
 */
export class TrafficRouter implements Router {
  private table: RouteTable | undefined;
  private readonly counted = new Map<string, Required<VersionSample>>();
  private readonly start: number;
  readonly totals: TrafficTotals = {
    canary: emptySample(),
    baseline: emptySample(),
    failedBecauseOfCanary: 0,
  };

  constructor(
    private readonly trace: TrafficTrace,
    private readonly clock: Clock,
    private readonly versions: { stable: string; canary: string },
  ) {
    this.start = clock.now();
  }

  async ensure(): Promise<void> {}

  async apply(table: RouteTable): Promise<void> {
    this.advance();
    this.table = structuredClone(table);
  }

  async current(): Promise<RouteTable | undefined> {
    return this.table && structuredClone(this.table);
  }

  async stats(): Promise<Record<string, VersionStats>> {
    this.advance();
    return Object.fromEntries(
      [...this.counted].map(([version, sample]) => [version, { ...structuredClone(sample), inFlight: 0 }]),
    );
  }

  async drain(): Promise<void> {}
  async stop(): Promise<void> {
    this.table = undefined;
  }
  address(): undefined {
    return undefined;
  }

  /** Percent of the traffic the new version gets now (0 before it has endpoints). */
  canaryWeight(): number {
    const backends = this.table?.backends ?? [];
    const serving = backends.filter((b) => b.endpoints.length > 0 && b.weight > 0);
    const total = serving.reduce((sum, b) => sum + b.weight, 0);
    const canary = serving.find((b) => b.version === this.versions.canary);
    return canary && total > 0 ? (100 * canary.weight) / total : 0;
  }

  /** Plays the trace up to the clock, tick by tick, at the weights in force. */
  private advance(): void {
    const weight = this.canaryWeight();
    const serving = (this.table?.backends ?? []).some((b) => b.endpoints.length > 0 && b.weight > 0);
    while (this.start + this.trace.now + this.trace.tickMs <= this.clock.now()) {
      const tick = this.trace.next(weight);
      if (!serving) continue; // nothing listens yet: no traffic is counted
      this.count(this.versions.canary, tick.canary);
      this.count(this.versions.stable, tick.baseline);
      accumulate(this.totals.canary, tick.canary);
      accumulate(this.totals.baseline, tick.baseline);
      this.totals.failedBecauseOfCanary += tick.canaryExcessErrors;
    }
  }

  private count(version: string, sample: Required<VersionSample>): void {
    if (sample.requests === 0) return;
    const counted = this.counted.get(version) ?? emptySample();
    accumulate(counted, sample);
    this.counted.set(version, counted);
  }
}
