import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { withTimeout } from "../../core/abort.js";
import type { RouterConfig } from "../../core/config.js";
import { RouterError } from "../../core/errors.js";
import type { RouterRecord, Store } from "../../store/types.js";
import { sameRouteTable } from "../route-table.js";
import type { Router, RouterContext, RouteTable, VersionStats } from "../types.js";
import { adminRequest } from "./admin-request.js";
import { EjectBatcher } from "./eject-batcher.js";
import { checkedRouteTable } from "./routes.js";
import { listenFailure, looksLikeRouterDaemon, pidAlive, spawnRouterDaemon, waitForExit } from "./spawn.js";

export type BuiltinRouterConfig = Extract<RouterConfig, { type: "builtin" }>;

const ADMIN_TIMEOUT_MS = 5_000;
const READY_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 50;
/** The daemon gives in-flight requests 30s on shutdown; wait a little longer before SIGKILL. */
const GRACEFUL_STOP_MS = 35_000;
const SIGTERM_STOP_MS = 5_000;
/** The store record of an environment's router daemon itself (a service name no service can have). */
export const DAEMON_SERVICE = "*";

interface RouterHealth {
  ok?: boolean;
  pid?: number;
  /** A daemon for many services (absent in a one-service daemon started with --port). */
  shared?: boolean;
}

/** What PUT and GET /services/:name answer. */
interface ServiceAnswer {
  pid: number;
  listenPort: number;
  previewPort: number | null;
}

/** An admin call the daemon answered with an error status. */
class AdminCallError extends RouterError {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

/**
 * What this process knows of one environment's daemon, and the mutex under which it is found, started
 * and stopped: many rollouts ensuring at once start one daemon.
 */
interface EnvironmentDaemon {
  queue: Promise<unknown>;
  daemon?: RouterRecord;
}
const environments = new WeakMap<Store, Map<string, EnvironmentDaemon>>();

function environmentOf(context: RouterContext): EnvironmentDaemon {
  let byName = environments.get(context.store);
  if (!byName) {
    byName = new Map();
    environments.set(context.store, byName);
  }
  const key = `${context.project}\n${context.environment}`;
  let state = byName.get(key);
  if (!state) {
    state = { queue: Promise.resolve() };
    byName.set(key, state);
  }
  return state;
}

/** Waits for a process told to stop (and killed if it would not) to be gone. */
async function exited(pid: number): Promise<void> {
  if (await waitForExit(pid, SIGTERM_STOP_MS)) return;
  throw new RouterError(`router process ${pid} did not exit`, { hint: `kill it by hand: kill -9 ${pid}` });
}

function exclusively<T>(state: EnvironmentDaemon, work: () => Promise<T>): Promise<T> {
  const next = state.queue.then(work, work);
  state.queue = next.catch(() => undefined);
  return next;
}

/**
 * The engine's handle on one service in its environment's builtin router daemon. One daemon per
 * (project, environment) serves every service, each on its own listener with its own route table. The
 * daemon outlives the engine; its pid, admin port and token are in the store (service `*`, and in each
 * service's record), so a new engine adopts it.
 */
export class BuiltinRouter implements Router {
  private record: RouterRecord | undefined;
  /** The service's record points at a one-service daemon of an older Tandem: root admin paths. */
  private legacy = false;

  constructor(
    private readonly config: BuiltinRouterConfig,
    private readonly context: RouterContext,
  ) {}

  async ensure(signal: AbortSignal): Promise<void> {
    // Each pass: one admin call, no store read. Registering with the same settings changes nothing.
    if (this.record && !this.legacy) {
      try {
        const answer = await this.register(this.record, signal);
        if (answer.pid === this.record.pid && answer.listenPort === this.record.listenPort) return;
      } catch (error) {
        // Gone, replaced or refusing: the full path below finds out which.
        if (signal.aborted) throw error;
      }
    }
    const state = environmentOf(this.context);
    this.record = await exclusively(state, () => this.ensureLocked(state, signal));
    this.legacy = false;
  }

  async apply(table: RouteTable, signal: AbortSignal): Promise<void> {
    const checked = checkedRouteTable(table, this.context.service);
    if (!this.record || this.legacy) await this.ensure(signal);
    await this.call("PUT", this.path("/routes"), signal, checked);
    const served = await this.call<RouteTable>("GET", this.path("/routes"), signal);
    if (!sameRouteTable(checked, served)) {
      throw new RouterError(
        `router for ${this.context.service} does not serve the route table it was given`,
        {
          hint: "another engine may be driving the same router; check `tandem status`",
        },
      );
    }
  }

  async current(signal: AbortSignal): Promise<RouteTable | undefined> {
    if (!(await this.connected())) return undefined;
    return this.call<RouteTable>("GET", this.path("/routes"), signal);
  }

  async stats(signal: AbortSignal): Promise<Record<string, VersionStats>> {
    if (!(await this.connected())) return {};
    return this.call<Record<string, VersionStats>>("GET", this.path("/stats"), signal);
  }

  async drain(endpointIds: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (endpointIds.length === 0 || !(await this.connected())) return;
    const { clock } = this.context;
    const deadline = clock.now() + timeoutMs;
    const query = this.path(`/inflight?ids=${endpointIds.map(encodeURIComponent).join(",")}`);
    for (;;) {
      const { inFlight } = await this.call<{ inFlight: Record<string, number> }>("GET", query, signal);
      const busy = Object.values(inFlight).reduce((sum, n) => sum + n, 0);
      if (busy === 0) return;
      if (clock.now() >= deadline) {
        this.context.log.warn("drain timed out with requests still in flight", {
          service: this.context.service,
          busy,
        });
        return;
      }
      await clock.sleep(Math.min(DRAIN_POLL_MS, Math.max(1, deadline - clock.now())), signal);
    }
  }

  /**
   * Takes endpoints out of traffic now. The ejects of every service of the daemon that arrive together
   * go out in one call (`eject-batcher.ts`); the promise settles when the daemon answered it.
   */
  async eject(endpointIds: string[], signal: AbortSignal): Promise<void> {
    if (endpointIds.length === 0 || !(await this.connected())) return;
    const record = this.record;
    if (!record || this.legacy) return; // an old one-service daemon: the next table drops them
    signal.throwIfAborted();
    await batcherOf(record).add(this.context.service, endpointIds);
  }

  async stop(signal: AbortSignal): Promise<void> {
    const state = environmentOf(this.context);
    await exclusively(state, () => this.stopLocked(state, signal));
    this.record = undefined;
    this.legacy = false;
  }

  address(): { host: string; port: number } | undefined {
    if (this.record) return { host: this.record.listenHost, port: this.record.listenPort };
    return this.config.listen === 0 ? undefined : { host: this.config.host, port: this.config.listen };
  }

  private get name(): string {
    return `${this.context.project}/${this.context.environment}/${this.context.service}`;
  }

  private path(sub: string): string {
    return this.legacy ? sub : `${this.scoped()}${sub}`;
  }

  private async ensureLocked(state: EnvironmentDaemon, signal: AbortSignal): Promise<RouterRecord> {
    const { project, environment, service, store, clock } = this.context;
    const stored = await store.getRouter(project, environment, service);
    const daemon = await this.daemon(state, stored, signal);
    if (stored && stored.pid !== daemon.pid) await this.retire(stored, signal);
    let answer: ServiceAnswer;
    try {
      answer = await this.register(daemon, signal);
    } catch (error) {
      state.daemon = undefined;
      // A daemon left serving nothing (its first service's port is taken) would outlive `tandem down`.
      if (!signal.aborted && (await this.shutdownIfIdle(daemon, signal).catch(() => false))) {
        await store.deleteRouter(project, environment, DAEMON_SERVICE);
      }
      throw error;
    }
    const record: RouterRecord = {
      ...daemon,
      service,
      listenHost: this.config.host,
      listenPort: answer.listenPort,
      startedAt: stored?.pid === daemon.pid ? stored.startedAt : clock.now(),
    };
    const unchanged =
      stored !== undefined &&
      (["pid", "adminPort", "token", "listenHost", "listenPort"] as const).every(
        (k) => stored[k] === record[k],
      );
    if (!unchanged) await store.putRouter(record);
    if (!stored || stored.pid !== daemon.pid) {
      this.context.log.info("router serves the service", {
        service,
        pid: daemon.pid,
        port: answer.listenPort,
      });
    }
    return record;
  }

  /** The environment's daemon: known to this process, recorded in the store, or started now. */
  private async daemon(
    state: EnvironmentDaemon,
    stored: RouterRecord | undefined,
    signal: AbortSignal,
  ): Promise<RouterRecord> {
    if (state.daemon && pidAlive(state.daemon.pid)) return state.daemon;
    state.daemon = undefined;
    const { project, environment, store } = this.context;
    const recorded = await store.getRouter(project, environment, DAEMON_SERVICE);
    if (recorded && (await this.health(recorded, signal))) {
      state.daemon = recorded;
      return recorded;
    }
    if (recorded) {
      this.context.log.info("router daemon from the store is gone; starting a new one", {
        pid: recorded.pid,
      });
      await store.deleteRouter(project, environment, DAEMON_SERVICE);
    }
    // A shared daemon whose own record was lost: adopt it rather than start a second one.
    if (stored && (await this.health(stored, signal))?.shared === true) {
      const adopted: RouterRecord = { ...stored, service: DAEMON_SERVICE, listenPort: 0 };
      await store.putRouter(adopted);
      state.daemon = adopted;
      return adopted;
    }
    state.daemon = await this.start(signal);
    return state.daemon;
  }

  private async start(signal: AbortSignal): Promise<RouterRecord> {
    const { project, environment, stateDir, store, clock } = this.context;
    const token = randomBytes(32).toString("hex");
    const ready = await spawnRouterDaemon(
      {
        host: this.config.host,
        holdTimeoutMs: this.config.holdTimeout,
        holdMaxRequests: this.config.holdMaxRequests,
        name: `${project}/${environment}`,
        token,
        logFile: join(stateDir, "routers", `${environment}.log`),
        readyTimeoutMs: READY_TIMEOUT_MS,
      },
      signal,
    );
    const record: RouterRecord = {
      project,
      environment,
      service: DAEMON_SERVICE,
      pid: ready.pid,
      listenHost: this.config.host,
      listenPort: 0,
      adminPort: ready.adminPort,
      token,
      startedAt: clock.now(),
    };
    await store.putRouter(record);
    this.context.log.info("router daemon started", { environment, pid: ready.pid });
    return record;
  }

  /** PUT /services/:name: opens or keeps the service's listeners in the daemon. */
  private async register(daemon: RouterRecord, signal: AbortSignal): Promise<ServiceAnswer> {
    const { previewListen } = this.config;
    const body = {
      host: this.config.host,
      port: this.config.listen,
      previewPort: previewListen ?? null,
      holdTimeoutMs: this.config.holdTimeout,
      holdMaxRequests: this.config.holdMaxRequests,
    };
    try {
      return await this.call<ServiceAnswer>("PUT", this.scoped(), signal, body, daemon);
    } catch (error) {
      if (!(error instanceof AdminCallError)) throw error;
      // Node's listen errors end with the address: "listen EADDRINUSE: address already in use 127.0.0.1:8080".
      const port = Number(/:(\d+)$/.exec(error.message)?.[1] ?? this.config.listen);
      throw listenFailure(this.name, this.config.host, port, error.reason) ?? error;
    }
  }

  /** A service record pointing at another daemon (a one-service daemon of an older Tandem holds the port). */
  private async retire(stored: RouterRecord, signal: AbortSignal): Promise<void> {
    if (!pidAlive(stored.pid) || !looksLikeRouterDaemon(stored.pid)) return;
    const health = await this.health(stored, signal);
    this.context.log.info("stopping the service's old router process", {
      service: stored.service,
      pid: stored.pid,
    });
    if (health?.shared === true) {
      await this.call("DELETE", this.scoped(), signal, undefined, stored, GRACEFUL_STOP_MS).catch(() => {});
      await this.shutdownIfIdle(stored, signal);
      return;
    }
    await this.stopProcess(stored, signal);
  }

  private async stopLocked(state: EnvironmentDaemon, signal: AbortSignal): Promise<void> {
    const { project, environment, service, store } = this.context;
    const stored = await store.getRouter(project, environment, service);
    let daemon = state.daemon ?? (await store.getRouter(project, environment, DAEMON_SERVICE));
    if (daemon && !(await this.health(daemon, signal))) {
      await store.deleteRouter(project, environment, DAEMON_SERVICE);
      daemon = undefined;
    }
    state.daemon = undefined;
    if (stored && stored.pid !== daemon?.pid) await this.retire(stored, signal);
    if (daemon) {
      try {
        await this.call("DELETE", this.scoped(), signal, undefined, daemon, GRACEFUL_STOP_MS);
      } catch (error) {
        if (!(error instanceof AdminCallError && error.status === 404)) throw error;
      }
      if (await this.shutdownIfIdle(daemon, signal))
        await store.deleteRouter(project, environment, DAEMON_SERVICE);
      else state.daemon = daemon;
    }
    if (stored) await store.deleteRouter(project, environment, service);
  }

  /** Stops the daemon when it serves no service any more; true when it stopped. */
  private async shutdownIfIdle(daemon: RouterRecord, signal: AbortSignal): Promise<boolean> {
    try {
      await this.call("POST", "/shutdown?ifIdle=1", signal, undefined, daemon);
    } catch (error) {
      if (error instanceof AdminCallError && error.reason === "NOT_IDLE") return false;
      throw error;
    }
    if (!(await waitForExit(daemon.pid, GRACEFUL_STOP_MS))) killQuietly(daemon.pid, "SIGKILL");
    await exited(daemon.pid);
    this.context.log.info("router daemon stopped", { environment: daemon.environment, pid: daemon.pid });
    return true;
  }

  /** Stops a one-service daemon (of an older Tandem) and forgets its record. */
  private async stopProcess(record: RouterRecord, signal: AbortSignal): Promise<void> {
    const { pid } = record;
    let askedToStop = false;
    try {
      await this.call("POST", "/shutdown", signal, undefined, record);
      askedToStop = true;
    } catch (error) {
      this.context.log.warn("router admin API did not answer shutdown; signalling it", {
        pid,
        error: String(error),
      });
    }
    if (askedToStop) {
      if (!(await waitForExit(pid, GRACEFUL_STOP_MS))) killQuietly(pid, "SIGKILL");
    } else if (pidAlive(pid) && looksLikeRouterDaemon(pid)) {
      killQuietly(pid, "SIGTERM");
      if (!(await waitForExit(pid, SIGTERM_STOP_MS))) killQuietly(pid, "SIGKILL");
    }
    await exited(pid);
    await this.context.store.deleteRouter(record.project, record.environment, record.service);
  }

  private scoped(): string {
    return `/services/${encodeURIComponent(this.context.service)}`;
  }

  /** The daemon's /healthz answer when it is the recorded process and answers; undefined otherwise. */
  private async health(record: RouterRecord, signal: AbortSignal): Promise<RouterHealth | undefined> {
    if (!pidAlive(record.pid)) return undefined;
    try {
      const health = await this.call<RouterHealth>("GET", "/healthz", signal, undefined, record);
      return health.ok === true && health.pid === record.pid ? health : undefined;
    } catch (error) {
      if (signal.aborted) throw error;
      return undefined;
    }
  }

  /** Loads the record of a router an earlier engine started, without starting one. */
  private async connected(): Promise<boolean> {
    if (this.record) return true;
    const { project, environment, service, store } = this.context;
    const record = await store.getRouter(project, environment, service);
    if (!record) return false;
    const daemon = await store.getRouter(project, environment, DAEMON_SERVICE);
    this.record = record;
    this.legacy = daemon?.pid !== record.pid;
    return true;
  }

  private async call<T = unknown>(
    method: string,
    path: string,
    signal: AbortSignal,
    body?: unknown,
    record = this.record,
    timeoutMs = ADMIN_TIMEOUT_MS,
  ): Promise<T> {
    if (!record)
      throw new RouterError(`router for ${this.context.service} is not running; call ensure first`);
    const { status, text } = await withTimeout(signal, timeoutMs, async (callSignal) => {
      try {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        return await adminRequest({
          port: record.adminPort,
          method,
          path,
          token: record.token,
          body: payload,
          signal: callSignal,
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw new RouterError(
          `router admin API of ${this.context.service} (pid ${record.pid}) did not answer ${method} ${path}`,
          {
            cause: error,
            hint: "the router process may have died; `ensure` starts a new one",
          },
        );
      }
    });
    const ok = status >= 200 && status < 300;
    if (!ok) {
      let message = text;
      let reason: string | undefined;
      try {
        const answer = JSON.parse(text) as { error?: string; code?: string };
        message = answer.error ?? text;
        reason = answer.code;
      } catch {}
      throw new AdminCallError(`router ${method} ${path} failed with ${status}: ${message}`, status, reason);
    }
    return JSON.parse(text) as T;
  }
}

const batchers = new Map<string, EjectBatcher>();

/** The eject batcher of a daemon (by admin port and pid, so a replaced daemon gets a new one). */
function batcherOf(record: RouterRecord): EjectBatcher {
  const key = `${record.adminPort}/${record.pid}`;
  let batcher = batchers.get(key);
  if (!batcher) {
    batcher = new EjectBatcher((services) => sendEjects(record, services));
    batchers.set(key, batcher);
  }
  return batcher;
}

async function sendEjects(record: RouterRecord, services: Record<string, string[]>): Promise<void> {
  const post = (path: string, body: unknown) =>
    adminRequest({
      port: record.adminPort,
      method: "POST",
      path,
      token: record.token,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
      lane: "eject",
    });
  const failed = (path: string, answer: { status: number; text: string }) =>
    new AdminCallError(
      `router POST ${path} failed with ${answer.status}: ${answer.text}`,
      answer.status,
      undefined,
    );
  const batch = await post("/eject", { services });
  if (batch.status < 300) return;
  // A daemon of the previous Tandem knows only the per-service call.
  if (batch.status !== 404) throw failed("/eject", batch);
  for (const [service, ids] of Object.entries(services)) {
    const path = `/services/${encodeURIComponent(service)}/eject`;
    const one = await post(path, { ids });
    if (one.status >= 300) throw failed(path, one);
  }
}

function killQuietly(pid: number, signalName: NodeJS.Signals): void {
  try {
    process.kill(pid, signalName);
  } catch {}
}
