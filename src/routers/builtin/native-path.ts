// The optional native data plane (native/router/, a Node-API addon on this process's libuv loop): it takes
// what fast-path.ts takes (plain HTTP/1.1 requests, no body or a small Content-Length body) with no JS per
// request. The proxy gives it each accepted connection's fd; a connection it does not take (HTTP/1.0,
// chunked body, Upgrade, Expect, a big body, no endpoint to send to) comes back here at a request boundary,
// as a new socket with the bytes already read put back, and goes on through the JS fast path.
import { createRequire } from "node:module";
import { isIP, Socket } from "node:net";
import type { RouteTable } from "../types.js";
import { LATENCY_BOUNDS_MS } from "./stats.js";

interface Addon {
  create(
    handBack: (fd: number, bytes: Buffer) => void,
    maxAttempts: number,
    replayableBodyLimit: number,
    maxSockets: number,
  ): unknown;
  adopt(router: unknown, fd: number): boolean;
  setRoutes(router: unknown, backends: NativeBackend[]): void;
  stats(router: unknown): Float64Array;
  inFlight(router: unknown, id: string): number;
  info(router: unknown): [active: number, connections: number, handedBack: number];
  setClosing(router: unknown): void;
  closeIdle(router: unknown): void;
  destroyAll(router: unknown): void;
}

interface NativeBackend {
  slot: number;
  weight: number;
  endpoints: [id: string, host: string, port: number][];
}

/** Which data plane the router's proxies use, and why (logged once by the daemon). */
export interface DataPlaneStatus {
  path: "native" | "js";
  reason: string;
}

const ADDON_PATH = "../../../native/router/build/Release/tandem_router.node";
let loaded: { addon: Addon | undefined; reason: string } | undefined;

function load(): { addon: Addon | undefined; reason: string } {
  if (loaded !== undefined) return loaded;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    loaded = { addon, reason: "native/router addon loaded" };
  } catch (error) {
    loaded = { addon: undefined, reason: `native/router addon not loaded: ${(error as Error).message}` };
  }
  return loaded;
}

/** Whether the native path is wanted: TANDEM_ROUTER_NATIVE=0 turns it off. */
export function nativeWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TANDEM_ROUTER_NATIVE !== "0";
}

export function dataPlaneStatus(env: NodeJS.ProcessEnv = process.env): DataPlaneStatus {
  if (!nativeWanted(env)) return { path: "js", reason: "TANDEM_ROUTER_NATIVE=0" };
  const { addon, reason } = load();
  return { path: addon === undefined ? "js" : "native", reason };
}

export interface NativeCounters {
  requests: number;
  errors: number;
  inFlight: number;
  counts: number[];
}

const PER_SLOT = 3 + LATENCY_BOUNDS_MS.length + 1;

/** One proxy's native data plane. */
export class NativeDataPlane {
  private readonly router: unknown;
  private readonly slots = new Map<string, number>();
  private readonly versions: string[] = [];

  private constructor(
    private readonly addon: Addon,
    options: { maxAttempts: number; replayableBodyLimit: number; maxSockets: number },
    handBack: (socket: Socket) => void,
  ) {
    this.router = addon.create(
      (fd, bytes) => {
        const socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
        if (bytes.length > 0) socket.unshift(bytes);
        handBack(socket);
      },
      options.maxAttempts,
      options.replayableBodyLimit,
      options.maxSockets,
    );
  }

  /** A data plane, or undefined when the addon is not there (or not wanted). */
  static create(
    options: { maxAttempts: number; replayableBodyLimit: number; maxSockets: number },
    handBack: (socket: Socket) => void,
  ): NativeDataPlane | undefined {
    if (!nativeWanted()) return undefined;
    const { addon } = load();
    return addon === undefined ? undefined : new NativeDataPlane(addon, options, handBack);
  }

  /** Takes a connection accepted paused: the addon duplicates its fd and the JS socket is closed unread. */
  accept(socket: Socket): boolean {
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== "number" || fd < 0 || !this.addon.adopt(this.router, fd)) return false;
    socket.destroy();
    return true;
  }

  /** The table as the addon takes it; with a host that is not an IP address, none (JS then serves all). */
  setRoutes(table: RouteTable): void {
    const allLiteral = table.backends.every((b) =>
      b.endpoints.every((e) => isIP(stripBrackets(e.host)) !== 0),
    );
    const backends = allLiteral
      ? table.backends.map((backend) => ({
          slot: this.slotOf(backend.version),
          weight: backend.weight,
          endpoints: backend.endpoints.map((e): [string, string, number] => [e.id, e.host, e.port]),
        }))
      : [];
    this.addon.setRoutes(this.router, backends);
  }

  /** The native counters by version. */
  stats(): Map<string, NativeCounters> {
    const flat = this.addon.stats(this.router);
    const result = new Map<string, NativeCounters>();
    for (let slot = 0; slot * PER_SLOT < flat.length; slot++) {
      const at = slot * PER_SLOT;
      const version = this.versions[slot];
      if (version === undefined) continue;
      result.set(version, {
        requests: flat[at]!,
        errors: flat[at + 1]!,
        inFlight: flat[at + 2]!,
        counts: Array.from(flat.subarray(at + 3, at + PER_SLOT)),
      });
    }
    return result;
  }

  inFlight(endpointId: string): number {
    return this.addon.inFlight(this.router, endpointId);
  }

  activeRequests(): number {
    return this.addon.info(this.router)[0];
  }

  /** Connections the addon serves now, and how many it handed back to JS so far. */
  connections(): { open: number; handedBack: number } {
    const [, open, handedBack] = this.addon.info(this.router);
    return { open, handedBack };
  }

  setClosing(): void {
    this.addon.setClosing(this.router);
  }

  closeIdle(): void {
    this.addon.closeIdle(this.router);
  }

  destroyAll(): void {
    this.addon.destroyAll(this.router);
  }

  private slotOf(version: string): number {
    let slot = this.slots.get(version);
    if (slot === undefined) {
      slot = this.versions.length;
      this.versions.push(version);
      this.slots.set(version, slot);
    }
    return slot;
  }
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
