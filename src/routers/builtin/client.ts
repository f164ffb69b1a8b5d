import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { withTimeout } from "../../core/abort.js";
import type { RouterConfig } from "../../core/config.js";
import { RouterError } from "../../core/errors.js";
import type { RouterRecord } from "../../store/types.js";
import { sameRouteTable } from "../route-table.js";
import type { Router, RouterContext, RouteTable, VersionStats } from "../types.js";
import { checkedRouteTable } from "./routes.js";
import { looksLikeRouterDaemon, pidAlive, spawnRouterDaemon, waitForExit } from "./spawn.js";

export type BuiltinRouterConfig = Extract<RouterConfig, { type: "builtin" }>;

const ADMIN_TIMEOUT_MS = 5_000;
const READY_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 50;
/** The daemon gives in-flight requests 30s on shutdown; wait a little longer before SIGKILL. */
const GRACEFUL_STOP_MS = 35_000;
const SIGTERM_STOP_MS = 5_000;

/**
 * The engine's handle on a builtin router daemon (one per project, environment and service). The daemon
 * outlives the engine; its pid, ports and admin token are in the store, so a new engine adopts it.
 */
interface RouterHealth {
  ok?: boolean;
  pid?: number;
  previewPort?: number | null;
}

export class BuiltinRouter implements Router {
  private record: RouterRecord | undefined;

  constructor(
    private readonly config: BuiltinRouterConfig,
    private readonly context: RouterContext,
  ) {}

  async ensure(signal: AbortSignal): Promise<void> {
    const { project, environment, service, store } = this.context;
    const stored = await store.getRouter(project, environment, service);
    const health = stored && (await this.health(stored, signal));
    if (stored && health) {
      const samePreview = (health.previewPort ?? undefined) === this.config.previewListen;
      if ((this.config.listen === 0 || this.config.listen === stored.listenPort) && samePreview) {
        this.record = stored;
        return;
      }
      this.context.log.info("router listen ports changed; restarting the router", {
        service,
        from: [stored.listenPort, health.previewPort],
        to: [this.config.listen, this.config.previewListen],
      });
      await this.stopRecorded(stored, signal);
    } else if (stored) {
      this.context.log.info("router from the store is gone; starting a new one", {
        service,
        pid: stored.pid,
      });
      await store.deleteRouter(project, environment, service);
    }
    this.record = await this.start(signal);
  }

  async apply(table: RouteTable, signal: AbortSignal): Promise<void> {
    const checked = checkedRouteTable(table, this.context.service);
    if (!this.record) await this.ensure(signal);
    await this.call("PUT", "/routes", signal, checked);
    const served = await this.call<RouteTable>("GET", "/routes", signal);
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
    return this.call<RouteTable>("GET", "/routes", signal);
  }

  async stats(signal: AbortSignal): Promise<Record<string, VersionStats>> {
    if (!(await this.connected())) return {};
    return this.call<Record<string, VersionStats>>("GET", "/stats", signal);
  }

  async drain(endpointIds: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (endpointIds.length === 0 || !(await this.connected())) return;
    const { clock } = this.context;
    const deadline = clock.now() + timeoutMs;
    const query = `/inflight?ids=${endpointIds.map(encodeURIComponent).join(",")}`;
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

  async stop(signal: AbortSignal): Promise<void> {
    const { project, environment, service, store } = this.context;
    const stored = this.record ?? (await store.getRouter(project, environment, service));
    if (stored) await this.stopRecorded(stored, signal);
    this.record = undefined;
  }

  address(): { host: string; port: number } | undefined {
    if (this.record) return { host: this.record.listenHost, port: this.record.listenPort };
    return this.config.listen === 0 ? undefined : { host: this.config.host, port: this.config.listen };
  }

  private async start(signal: AbortSignal): Promise<RouterRecord> {
    const { project, environment, service, stateDir, store, clock } = this.context;
    const token = randomBytes(32).toString("hex");
    const ready = await spawnRouterDaemon(
      {
        host: this.config.host,
        port: this.config.listen,
        holdTimeoutMs: this.config.holdTimeout,
        holdMaxRequests: this.config.holdMaxRequests,
        ...(this.config.previewListen === undefined ? {} : { previewPort: this.config.previewListen }),
        name: `${project}/${environment}/${service}`,
        token,
        logFile: join(stateDir, "routers", `${environment}.${service}.log`),
        readyTimeoutMs: READY_TIMEOUT_MS,
      },
      signal,
    );
    const record: RouterRecord = {
      project,
      environment,
      service,
      pid: ready.pid,
      listenHost: this.config.host,
      listenPort: ready.listenPort,
      adminPort: ready.adminPort,
      token,
      startedAt: clock.now(),
    };
    await store.putRouter(record);
    this.context.log.info("router started", { service, pid: ready.pid, port: ready.listenPort });
    return record;
  }

  private async stopRecorded(record: RouterRecord, signal: AbortSignal): Promise<void> {
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
    if (!(await waitForExit(pid, SIGTERM_STOP_MS))) {
      throw new RouterError(`router process ${pid} did not exit`, {
        hint: `kill it by hand: kill -9 ${pid}`,
      });
    }
    await this.context.store.deleteRouter(record.project, record.environment, record.service);
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
    this.record = await store.getRouter(project, environment, service);
    return this.record !== undefined;
  }

  private async call<T = unknown>(
    method: string,
    path: string,
    signal: AbortSignal,
    body?: unknown,
    record = this.record,
  ): Promise<T> {
    if (!record)
      throw new RouterError(`router for ${this.context.service} is not running; call ensure first`);
    const url = `http://127.0.0.1:${record.adminPort}${path}`;
    const { status, ok, text } = await withTimeout(signal, ADMIN_TIMEOUT_MS, async (callSignal) => {
      try {
        const response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${record.token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: callSignal,
        });
        return { status: response.status, ok: response.ok, text: await response.text() };
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
    if (!ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {}
      throw new RouterError(`router ${method} ${path} failed with ${status}: ${message}`);
    }
    return JSON.parse(text) as T;
  }
}

function killQuietly(pid: number, signalName: NodeJS.Signals): void {
  try {
    process.kill(pid, signalName);
  } catch {}
}
