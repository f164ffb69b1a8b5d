import type { VersionStats } from "../types.js";

/** Upper bounds of the latency buckets in milliseconds; a last, unlisted bucket catches the rest. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];

/** Counters of one version, updated on the hot path without allocating. */
export class VersionStatsRecorder {
  requests = 0;
  errors = 0;
  inFlight = 0;
  private readonly counts: number[] = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);

  /** Records a finished request; `status` >= 500 (including the router's own 502/503) is an error. */
  record(status: number, latencyMs: number): void {
    this.requests++;
    if (status >= 500) this.errors++;
    let bucket = 0;
    while (bucket < LATENCY_BOUNDS_MS.length && latencyMs > LATENCY_BOUNDS_MS[bucket]!) bucket++;
    this.counts[bucket]!++;
  }

  snapshot(): VersionStats {
    return {
      requests: this.requests,
      errors: this.errors,
      inFlight: this.inFlight,
      latency: { boundsMs: [...LATENCY_BOUNDS_MS], counts: [...this.counts] },
    };
  }
}
