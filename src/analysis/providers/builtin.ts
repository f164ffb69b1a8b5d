import type { BuiltinProviderConfig } from "../../core/analysis.js";
import { histogramQuantile } from "../../routers/histogram.js";
import type { LatencyHistogram, VersionStats } from "../../routers/types.js";
import type { MeasureContext, Measurement, MetricProvider, VersionSample } from "../types.js";

/** The router's counters of one version (what an analysis keeps from its start). */
export type StatsSnapshot = Record<string, Pick<VersionStats, "requests" | "errors" | "latency">>;

export interface BuiltinProviderDeps {
  /** The service's router statistics: cumulative per version since the router started. */
  stats(signal: AbortSignal): Promise<Record<string, VersionStats>>;
  /** The statistics when the analysis began; measurements are the differences from these. */
  start: StatsSnapshot;
}

/** Keeps only what an analysis needs of a stats answer (no in-flight gauge). */
export function snapshotOf(stats: Record<string, VersionStats>, versions: string[]): StatsSnapshot {
  const out: StatsSnapshot = {};
  for (const version of versions) {
    const s = stats[version];
    if (s) out[version] = { requests: s.requests, errors: s.errors, latency: structuredClone(s.latency) };
  }
  return out;
}

function minus(now: LatencyHistogram, before: LatencyHistogram | undefined): LatencyHistogram {
  const same =
    before !== undefined &&
    before.boundsMs.length === now.boundsMs.length &&
    before.boundsMs.every((b, i) => b === now.boundsMs[i]);
  return {
    boundsMs: [...now.boundsMs],
    counts: now.counts.map((n, i) => Math.max(0, n - (same ? (before.counts[i] ?? 0) : 0))),
  };
}

/** A version's traffic since the analysis began (a router restarted since then: everything it saw). */
export function sampleSince(
  now: VersionStats | undefined,
  before: StatsSnapshot[string] | undefined,
): VersionSample {
  if (!now) return { requests: 0, errors: 0 };
  const restarted = before !== undefined && now.requests < before.requests;
  const base = restarted ? undefined : before;
  return {
    requests: now.requests - (base?.requests ?? 0),
    errors: Math.max(0, now.errors - (base?.errors ?? 0)),
    latency: minus(now.latency, base?.latency),
  };
}

/**
 * The builtin router's per-version statistics since the analysis began: `error_rate` (errors ÷
 * requests of the new version; no data before its first request), `request_count`, `latency` (the
 * `quantile` of the new version's latency, in ms, as the bucket bound holding it). Every measurement
 * also carries both versions' cumulative samples, for comparisons with the stable version.
 */
export class BuiltinProvider implements MetricProvider {
  constructor(
    private readonly config: BuiltinProviderConfig,
    private readonly deps: BuiltinProviderDeps,
  ) {}

  async measure(context: MeasureContext): Promise<Measurement> {
    let stats: Record<string, VersionStats>;
    try {
      stats = await this.deps.stats(context.signal);
    } catch (error) {
      return { at: context.now, error: `router statistics unavailable: ${(error as Error).message}` };
    }
    const canary = sampleSince(stats[context.canaryVersion], this.deps.start[context.canaryVersion]);
    const baseline =
      context.baselineVersion === undefined
        ? undefined
        : sampleSince(stats[context.baselineVersion], this.deps.start[context.baselineVersion]);
    return {
      at: context.now,
      value: this.value(canary),
      canary,
      ...(baseline ? { baseline } : {}),
    };
  }

  private value(canary: VersionSample): number {
    switch (this.config.metric) {
      case "request_count":
        return canary.requests;
      case "error_rate":
        return canary.requests > 0 ? canary.errors / canary.requests : Number.NaN;
      case "latency": {
        const q = canary.latency ? histogramQuantile(canary.latency, this.config.quantile) : undefined;
        return q ?? Number.NaN;
      }
    }
  }
}
