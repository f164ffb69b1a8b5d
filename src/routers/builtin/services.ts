import type { RouteTable, VersionStats } from "../types.js";
import { RouterProxy } from "./proxy.js";
import { EMPTY_ROUTE_TABLE, previewTable } from "./routes.js";

/** How a service listens in the daemon; PUT /services/:name carries it. */
export interface ServiceSettings {
  host: string;
  /** 0: keep the current port (an ephemeral one for a new service). */
  port: number;
  /** Absent: no preview listener. 0: keep the current port (an ephemeral one for a new listener). */
  previewPort?: number;
  holdTimeoutMs: number;
  holdMaxRequests: number;
}

/** What GET /services/:name answers. */
export interface ServiceView {
  name: string;
  host: string;
  listenPort: number;
  previewPort: number | null;
  holdTimeoutMs: number;
  holdMaxRequests: number;
  /** Endpoint ids taken out of traffic by POST eject while the table still lists them. */
  ejected: string[];
  /** Epoch ms at which recently removed endpoints stopped receiving new requests (table swap or eject). */
  unservedAt: Record<string, number>;
  /** Epoch ms of recent eject requests, by endpoint id (equal to `unservedAt` when the eject took it out). */
  ejectedAt: Record<string, number>;
}

/** A listen failure the admin API answers with 409/403 and the errno code. */
export class ListenError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** In-flight requests of a replaced or removed listener get this long to finish. */
export const SERVICE_CLOSE_GRACE_MS = 30_000;
const UNSERVED_MEMORY = 256;

/**
 * One service inside the daemon: its listener (and preview listener), route table as applied, ejected
 * endpoints and statistics. The proxy serves the applied table minus the ejected endpoints.
 */
class ServiceRoutes {
  private applied: RouteTable = EMPTY_ROUTE_TABLE;
  private readonly ejected = new Set<string>();
  private readonly unserved = new Map<string, number>();
  private readonly ejectedAt = new Map<string, number>();
  private served = new Set<string>();
  /** Listeners being replaced: their in-flight requests still count for /inflight. */
  private readonly retiring = new Set<RouterProxy>();

  constructor(
    readonly name: string,
    private settings: ServiceSettings,
    private proxy: RouterProxy,
    private preview: RouterProxy | undefined,
  ) {}

  view(): ServiceView {
    return {
      name: this.name,
      host: this.settings.host,
      listenPort: this.settings.port,
      previewPort: this.preview ? (this.settings.previewPort ?? null) : null,
      holdTimeoutMs: this.settings.holdTimeoutMs,
      holdMaxRequests: this.settings.holdMaxRequests,
      ejected: [...this.ejected],
      unservedAt: Object.fromEntries(this.unserved),
      ejectedAt: Object.fromEntries(this.ejectedAt),
    };
  }

  routes(): RouteTable {
    return this.applied;
  }

  setRoutes(table: RouteTable): void {
    this.applied = table;
    const listed = new Set(allIds(table));
    // Sticky until a table no longer lists the id: a pass that began before the failure cannot bring it back.
    for (const id of this.ejected) if (!listed.has(id)) this.ejected.delete(id);
    this.serve();
  }

  /** Takes endpoints out of traffic now; ids the table does not list yet stay ejected until the next table. */
  eject(ids: string[]): void {
    const at = Date.now();
    for (const id of ids) {
      this.ejected.add(id);
      remember(this.ejectedAt, id, at);
    }
    this.serve(at);
  }

  stats(): Record<string, VersionStats> {
    return this.proxy.stats();
  }

  inFlight(id: string): number {
    let total = this.proxy.inFlight(id) + (this.preview?.inFlight(id) ?? 0);
    for (const old of this.retiring) total += old.inFlight(id);
    return total;
  }

  activeRequests(): number {
    return this.proxy.activeRequests() + (this.preview?.activeRequests() ?? 0);
  }

  /** Applies new listen settings: a new port is opened before the old listener closes. */
  async reconfigure(next: ServiceSettings): Promise<void> {
    const current = this.settings;
    const port = next.port === 0 ? current.port : next.port;
    const previewPort = next.previewPort === 0 && this.preview ? current.previewPort : next.previewPort;
    const sameHold =
      next.holdTimeoutMs === current.holdTimeoutMs && next.holdMaxRequests === current.holdMaxRequests;
    const sameHost = next.host === current.host;
    const keepMain = sameHold && sameHost && port === current.port;
    const keepPreview =
      previewPort === undefined
        ? this.preview === undefined
        : this.preview !== undefined && sameHold && sameHost && previewPort === current.previewPort;
    if (keepMain && keepPreview) return;
    const options = { holdTimeoutMs: next.holdTimeoutMs, holdMaxRequests: next.holdMaxRequests };
    let proxy = this.proxy;
    if (!keepMain) {
      // The same address cannot be opened twice: then the old listener closes first.
      if (sameHost && port === current.port) await this.retire(this.proxy);
      proxy = await openProxy(port, next.host, options);
    }
    let preview: RouterProxy | undefined;
    if (previewPort !== undefined && keepPreview) preview = this.preview;
    else if (previewPort !== undefined) {
      if (this.preview && sameHost && previewPort === current.previewPort) await this.retire(this.preview);
      try {
        preview = await openProxy(previewPort, next.host, options);
      } catch (error) {
        if (proxy !== this.proxy) await proxy.close(0);
        throw error;
      }
    }
    const [oldProxy, oldPreview] = [this.proxy, this.preview];
    this.proxy = proxy;
    this.preview = preview;
    this.settings = {
      host: next.host,
      port: portOf(proxy),
      holdTimeoutMs: next.holdTimeoutMs,
      holdMaxRequests: next.holdMaxRequests,
      ...(preview ? { previewPort: portOf(preview) } : {}),
    };
    this.served = new Set();
    this.serve();
    if (oldProxy !== proxy) void this.retire(oldProxy);
    if (oldPreview && oldPreview !== preview) void this.retire(oldPreview);
  }

  async close(graceMs: number): Promise<void> {
    await Promise.all([
      ...[...this.retiring].map((old) => old.close(Math.min(graceMs, 1_000))),
      this.retire(this.proxy, graceMs),
      this.preview && this.retire(this.preview, graceMs),
    ]);
  }

  private async retire(proxy: RouterProxy, graceMs = SERVICE_CLOSE_GRACE_MS): Promise<void> {
    if (this.retiring.has(proxy)) return;
    this.retiring.add(proxy);
    try {
      await proxy.close(graceMs);
    } finally {
      this.retiring.delete(proxy);
    }
  }

  /** Gives the proxies the applied table without the ejected endpoints. */
  private serve(at = Date.now()): void {
    const table = this.ejected.size === 0 ? this.applied : withoutIds(this.applied, this.ejected);
    this.proxy.setRoutes({ backends: table.backends });
    this.preview?.setRoutes(previewTable(table));
    const now = new Set(allIds(table));
    for (const id of this.served) if (!now.has(id)) remember(this.unserved, id, at);
    this.served = now;
  }
}

/** The daemon's services by name, each with its own listeners and route table. */
export class ServiceRegistry {
  private readonly services = new Map<string, ServiceRoutes>();
  /** One PUT/DELETE at a time per service: listeners open and close in order. */
  private readonly queues = new Map<string, Promise<unknown>>();

  get(name: string): ServiceRoutes | undefined {
    return this.services.get(name);
  }

  names(): string[] {
    return [...this.services.keys()];
  }

  activeRequests(): number {
    let total = 0;
    for (const service of this.services.values()) total += service.activeRequests();
    return total;
  }

  /** Opens the service's listeners, or keeps them when unchanged; rejects with ListenError when a port cannot be opened. */
  put(name: string, settings: ServiceSettings): Promise<ServiceView> {
    return this.serialized(name, async () => {
      const existing = this.services.get(name);
      if (existing) {
        await existing.reconfigure(settings);
        return existing.view();
      }
      const options = { holdTimeoutMs: settings.holdTimeoutMs, holdMaxRequests: settings.holdMaxRequests };
      const proxy = await openProxy(settings.port, settings.host, options);
      let preview: RouterProxy | undefined;
      if (settings.previewPort !== undefined) {
        try {
          preview = await openProxy(settings.previewPort, settings.host, options);
        } catch (error) {
          await proxy.close(0);
          throw error;
        }
      }
      const service = new ServiceRoutes(
        name,
        {
          host: settings.host,
          port: portOf(proxy),
          holdTimeoutMs: settings.holdTimeoutMs,
          holdMaxRequests: settings.holdMaxRequests,
          ...(preview ? { previewPort: portOf(preview) } : {}),
        },
        proxy,
        preview,
      );
      this.services.set(name, service);
      return service.view();
    });
  }

  /** Closes the service's listeners gracefully; false when there was no such service. */
  remove(name: string, graceMs = SERVICE_CLOSE_GRACE_MS): Promise<boolean> {
    return this.serialized(name, async () => {
      const service = this.services.get(name);
      if (!service) return false;
      this.services.delete(name);
      await service.close(graceMs);
      return true;
    });
  }

  async closeAll(graceMs: number): Promise<void> {
    await Promise.all(this.names().map((name) => this.remove(name, graceMs)));
  }

  private serialized<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(name, settled);
    void settled.then(() => {
      if (this.queues.get(name) === settled) this.queues.delete(name);
    });
    return next;
  }
}

export type { ServiceRoutes };

async function openProxy(
  port: number,
  host: string,
  options: { holdTimeoutMs: number; holdMaxRequests: number },
): Promise<RouterProxy> {
  const proxy = new RouterProxy(options);
  try {
    await proxy.listen(port, host);
    return proxy;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new ListenError(code ?? "LISTEN_FAILED", message);
  }
}

function portOf(proxy: RouterProxy): number {
  const address = proxy.server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

/** Sets `id` as the newest entry of a map that keeps the last UNSERVED_MEMORY. */
function remember(map: Map<string, number>, id: string, at: number): void {
  map.delete(id);
  map.set(id, at);
  if (map.size > UNSERVED_MEMORY) map.delete(map.keys().next().value!);
}

function allIds(table: RouteTable): string[] {
  const ids = table.backends.flatMap((backend) => backend.endpoints.map((endpoint) => endpoint.id));
  if (table.preview) ids.push(...table.preview.endpoints.map((endpoint) => endpoint.id));
  return ids;
}

function withoutIds(table: RouteTable, ids: ReadonlySet<string>): RouteTable {
  const keep = (endpoint: { id: string }) => !ids.has(endpoint.id);
  const backends = table.backends.map((backend) => ({
    ...backend,
    endpoints: backend.endpoints.filter(keep),
  }));
  if (!table.preview) return { backends };
  return { backends, preview: { ...table.preview, endpoints: table.preview.endpoints.filter(keep) } };
}
