import type { Router, RouteTable, VersionStats } from "../routers/types.js";

/**
 * A router that keeps its table in memory, shared by every client built from the same instance (as a
 * real data plane outlives an engine). Counts the tables applied (`applies`), for assertions; it keeps the
 * last one only, as a data plane does (thousands of routers in one process at scale).
 */
export class MemoryRouter implements Router {
  table: RouteTable | undefined;
  /** How many tables `apply` was given. */
  applies = 0;
  readonly drained: string[][] = [];
  /** Cumulative per-version statistics that `stats` serves (set them, or add with `addTraffic`). */
  statsByVersion: Record<string, VersionStats> = {};
  /** When set, `stats` fails with this message (an unreachable admin API). */
  statsError: string | undefined;
  private lastApplied: RouteTable | undefined;
  private served: RouteTable | undefined;
  private servedFor: RouteTable | undefined;

  async ensure(): Promise<void> {}
  async apply(table: RouteTable): Promise<void> {
    // A copy by hand: structuredClone was most of a 10,000-table pass's apply time.
    this.table = copyPlain(table);
    this.applies++;
    this.lastApplied = this.table;
  }
  async current(): Promise<RouteTable | undefined> {
    // One frozen copy per table (an engine reads it every pass, thousands of routers at scale); a table
    // applied here is served itself (frozen), one set from outside (`table = ...`) as a copy.
    if (this.servedFor !== this.table) {
      const own = this.table !== undefined && this.lastApplied === this.table;
      this.served = this.table && deepFreeze(own ? this.table : structuredClone(this.table));
      this.servedFor = this.table;
    }
    return this.served;
  }
  async stats(): Promise<Record<string, VersionStats>> {
    if (this.statsError !== undefined) throw new Error(this.statsError);
    return structuredClone(this.statsByVersion);
  }

  /** Counts `requests` more requests of `version`, `errors` of them failed, each taking `latencyMs`. */
  addTraffic(version: string, requests: number, errors = 0, latencyMs = 20): void {
    const boundsMs = [5, 10, 25, 50, 100, 250, 500, 1000];
    const s = this.statsByVersion[version] ?? {
      requests: 0,
      errors: 0,
      inFlight: 0,
      latency: { boundsMs, counts: boundsMs.map(() => 0).concat(0) },
    };
    this.statsByVersion[version] = s;
    s.requests += requests;
    s.errors += errors;
    const bucket = boundsMs.findIndex((b) => latencyMs <= b);
    const index = bucket === -1 ? boundsMs.length : bucket;
    s.latency.counts[index] = (s.latency.counts[index] ?? 0) + requests;
  }
  async drain(ids: string[]): Promise<void> {
    this.drained.push(ids);
  }
  async stop(): Promise<void> {
    this.table = undefined;
  }
  address(): undefined {
    return undefined;
  }

  /** Percent of traffic per version that has endpoints now. */
  weights(): Record<string, number> {
    return Object.fromEntries(
      (this.table?.backends ?? []).map((b) => [b.version, b.endpoints.length ? b.weight : 0]),
    );
  }
}

/** A deep copy of plain data (objects, arrays, primitives), such as a route table. */
function copyPlain<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) copy[key] = copyPlain(inner);
  return copy as T;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
