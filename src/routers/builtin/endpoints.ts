import type { Pool } from "undici";
import type { RouteTable } from "../types.js";
import { RawPool } from "./raw-upstream.js";
import type { VersionStatsRecorder } from "./stats.js";
import { endpointPool } from "./upstream-pool.js";

/** One upstream address with its own keep-alive pool and in-flight count. */
export class EndpointState {
  inFlight = 0;
  /** Set when a route table no longer lists this endpoint; its pool closes once inFlight reaches 0. */
  removed = false;
  /** undici's pool, for the requests node:http handles (fallback path). */
  readonly pool: Pool;
  /** Plain keep-alive sockets, for the fast path's requests. */
  readonly raw: RawPool;

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    maxSockets: number,
  ) {
    this.pool = endpointPool(host, port, maxSockets);
    this.raw = new RawPool(host, port, maxSockets);
  }
}

export interface CompiledBackend {
  version: string;
  weight: number;
  /** Cumulative weight up to and including this backend, for the weighted pick. */
  upTo: number;
  endpoints: EndpointState[];
  cursor: number;
  stats: VersionStatsRecorder;
}

/** A route table prepared for the hot path. Replaced as a whole, never mutated (except cursors). */
export interface CompiledTable {
  table: RouteTable;
  backends: CompiledBackend[];
  /** Backends by descending weight: where a request goes when its version has no endpoint left. */
  fallbackOrder: CompiledBackend[];
  hasEndpoints: boolean;
}

export const EMPTY_COMPILED_TABLE: CompiledTable = {
  table: { backends: [] },
  backends: [],
  fallbackOrder: [],
  hasEndpoints: false,
};

/** Picks a backend by weight; undefined only for an empty table. */
export function pickBackend(compiled: CompiledTable): CompiledBackend | undefined {
  const backends = compiled.backends;
  if (backends.length === 0) return undefined;
  const roll = Math.random() * 100;
  for (let i = 0; i < backends.length; i++) {
    const backend = backends[i]!;
    if (roll < backend.upTo) return backend;
  }
  // Float sums a hair under 100: the roll fell past the end, so it belongs to the last weighted one.
  return compiled.fallbackOrder[0];
}

export interface Choice {
  backend: CompiledBackend;
  endpoint: EndpointState;
}

/**
 * Where a request goes: an endpoint of `backend` (picked by weight when undefined; on a retry after the table
 * changed, the backend of the same version in the current table), or else of the other backends, heaviest
 * first; undefined when no endpoint is left (none in the table, or all in `tried`).
 */
export function chooseEndpoint(
  compiled: CompiledTable,
  current: CompiledBackend | undefined,
  tried: EndpointState[] | undefined,
): Choice | undefined {
  let backend = current;
  if (backend === undefined) {
    backend = pickBackend(compiled);
  } else if (!compiled.backends.includes(backend)) {
    const version = backend.version;
    backend = compiled.backends.find((b) => b.version === version);
  }
  let endpoint = backend && pickEndpoint(backend, tried);
  if (endpoint === undefined) {
    for (const candidate of compiled.fallbackOrder) {
      if (candidate === backend) continue;
      endpoint = pickEndpoint(candidate, tried);
      if (endpoint !== undefined) {
        backend = candidate;
        break;
      }
    }
  }
  if (backend === undefined || endpoint === undefined) return undefined;
  return { backend, endpoint };
}

/**
 * Round-robin over the backend's endpoints, preferring the least busy one, skipping `exclude`
 * (endpoints a retried request has already failed on).
 */
export function pickEndpoint(
  backend: CompiledBackend,
  exclude: EndpointState[] | undefined,
): EndpointState | undefined {
  const endpoints = backend.endpoints;
  const count = endpoints.length;
  if (count === 0) return undefined;
  const start = backend.cursor;
  backend.cursor = start + 1 >= count ? 0 : start + 1;
  let best: EndpointState | undefined;
  for (let k = 0; k < count; k++) {
    const index = start + k;
    const endpoint = endpoints[index >= count ? index - count : index]!;
    if (exclude?.includes(endpoint)) continue;
    if (best === undefined || endpoint.inFlight < best.inFlight) best = endpoint;
  }
  return best;
}

/**
 * Owns every EndpointState: those of the current table, and removed ones that still carry requests.
 * Compiling a new table reuses the state (pool, in-flight count) of endpoints with the same id and address.
 */
export class EndpointRegistry {
  private live = new Map<string, EndpointState>();
  private readonly draining = new Set<EndpointState>();

  constructor(private readonly maxSocketsPerEndpoint: number) {}

  compile(table: RouteTable, statsFor: (version: string) => VersionStatsRecorder): CompiledTable {
    const nextLive = new Map<string, EndpointState>();
    let upTo = 0;
    let hasEndpoints = false;
    const backends = table.backends.map((backend): CompiledBackend => {
      upTo += backend.weight;
      const endpoints = backend.endpoints.map((e) => {
        const state =
          this.reuse(e.id, e.host, e.port) ??
          new EndpointState(e.id, e.host, e.port, this.maxSocketsPerEndpoint);
        nextLive.set(e.id, state);
        return state;
      });
      if (endpoints.length > 0) hasEndpoints = true;
      return {
        version: backend.version,
        weight: backend.weight,
        upTo,
        endpoints,
        cursor: 0,
        stats: statsFor(backend.version),
      };
    });
    for (const [id, state] of this.live) {
      if (nextLive.get(id) !== state) this.retire(state);
    }
    this.live = nextLive;
    const fallbackOrder = backends.filter((b) => b.weight > 0).sort((a, b) => b.weight - a.weight);
    fallbackOrder.push(...backends.filter((b) => b.weight === 0));
    return { table, backends, fallbackOrder, hasEndpoints };
  }

  /** Requests in flight to endpoints with this id, in the current table or removed from it. */
  inFlight(id: string): number {
    let total = this.live.get(id)?.inFlight ?? 0;
    for (const state of this.draining) if (state.id === id) total += state.inFlight;
    return total;
  }

  /** Called when a request to `state` ends. */
  released(state: EndpointState): void {
    state.inFlight--;
    if (state.removed && state.inFlight === 0) {
      this.draining.delete(state);
      destroyPool(state);
    }
  }

  /** Closes the fast path's idle upstream sockets that are past their keep-alive time. */
  sweep(now: number): void {
    for (const state of this.live.values()) state.raw.sweep(now);
    for (const state of this.draining) state.raw.sweep(now);
  }

  destroyAll(): void {
    for (const state of this.live.values()) destroyPool(state);
    for (const state of this.draining) destroyPool(state);
    this.live.clear();
    this.draining.clear();
  }

  private reuse(id: string, host: string, port: number): EndpointState | undefined {
    const current = this.live.get(id);
    if (current && current.host === host && current.port === port) return current;
    for (const state of this.draining) {
      if (state.id === id && state.host === host && state.port === port) {
        this.draining.delete(state);
        state.removed = false;
        return state;
      }
    }
    return undefined;
  }

  private retire(state: EndpointState): void {
    state.removed = true;
    if (state.inFlight === 0) destroyPool(state);
    else this.draining.add(state);
  }
}

function destroyPool(state: EndpointState): void {
  // Requests still on it (only at close, after the grace period) fail; nothing waits for the promise.
  state.pool.destroy().catch(() => {});
  state.raw.destroy();
}
