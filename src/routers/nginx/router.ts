import { createServer } from "node:net";
import type { NginxRouterConfig } from "../../core/config.js";
import { RouterError } from "../../core/errors.js";
import type { RouterRecord } from "../../store/types.js";
import { checkedRouteTable } from "../builtin/routes.js";
import { pidAlive } from "../builtin/spawn.js";
import type { Router, RouterContext, RouteTable, VersionStats } from "../types.js";
import { AccessLogStats } from "./access-log.js";
import { awaitGeneration, fetchGeneration } from "./admin.js";
import { emergLines, findNginx, prefixArgs, runNginx, testConfig } from "./binary.js";
import { type NginxConfigSettings, renderNginxConfig } from "./config-text.js";
import { NginxPrefix } from "./prefix.js";
import {
  looksLikeNginxMaster,
  shuttingDownWorkers,
  type WorkerIdentity,
  workerIdentities,
  workerRunning,
} from "./processes.js";
import { readErrorLogTail, stopMaster } from "./stop.js";

const RELOAD_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 50;

/**
 * The engine's handle on a service's own nginx master. The master runs daemonized from a prefix
 * directory under the state directory and outlives the engine; its pid and admin port are in the
 * store, so a new engine adopts it. Every table is tested with `nginx -t`, moved into place, loaded
 * with a graceful reload (SIGHUP) and verified through the admin server's generation.
 */
export class NginxRouter implements Router {
  private record: RouterRecord | undefined;
  private readonly prefix: NginxPrefix;
  private readonly log: AccessLogStats;
  /** Workers of configurations replaced by a reload; they may still proxy to removed endpoints. */
  private retiring: WorkerIdentity[] = [];

  constructor(
    private readonly config: NginxRouterConfig,
    private readonly context: RouterContext,
  ) {
    this.prefix = new NginxPrefix(context.stateDir, context.environment, context.service);
    this.log = new AccessLogStats(this.prefix.accessLog);
  }

  async ensure(signal: AbortSignal): Promise<void> {
    const { project, environment, service, store } = this.context;
    const stored = await store.getRouter(project, environment, service);
    if (stored && (await this.serves(stored, signal))) {
      const settings = this.prefix.readApplied()?.listeners;
      const same =
        settings !== undefined &&
        stored.listenPort === this.config.listen &&
        stored.listenHost === this.config.host &&
        settings.previewListen === this.config.previewListen;
      if (same) {
        this.record = stored;
        return;
      }
      this.context.log.info("nginx listen settings changed; restarting the router", { service });
      await this.stopRecorded(stored, signal);
    } else if (stored) {
      this.context.log.info("nginx router from the store is gone; starting a new one", {
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
    const record = this.record!;
    const generation = (this.prefix.readApplied()?.generation ?? 0) + 1;
    const text = renderNginxConfig(checked, this.settings(record.adminPort, generation));
    const candidate = this.prefix.writeCandidate(generation, text);
    try {
      await testConfig(this.binary(), this.prefix.dir, candidate, signal);
    } catch (error) {
      this.prefix.discard(candidate);
      throw error;
    }
    const previous = this.prefix.promote(candidate);
    try {
      await this.reload(record, generation, signal);
    } catch (error) {
      this.prefix.restore(previous);
      throw error;
    }
    this.prefix.writeApplied({ generation, table: checked, listeners: this.listeners() });
  }

  async current(_signal: AbortSignal): Promise<RouteTable | undefined> {
    if (!(await this.connected())) return undefined;
    return this.prefix.readApplied()?.table;
  }

  async stats(_signal: AbortSignal): Promise<Record<string, VersionStats>> {
    if (!(await this.connected())) return {};
    return this.log.read();
  }

  /**
   * Requests to removed endpoints can only be in flight in workers of an older configuration: waits
   * until every worker that ran before the last reloads has exited, and no worker is shutting down
   * (Linux /proc), or the timeout. The workers seen before a reload are the ones that count: an old
   * worker calls itself "shutting down" only once it has handled the master's QUIT, which can come
   * after the new generation already answers.
   */
  async drain(endpointIds: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (endpointIds.length === 0 || !(await this.connected())) return;
    const { clock } = this.context;
    const deadline = clock.now() + timeoutMs;
    for (;;) {
      this.retiring = this.retiring.filter(workerRunning);
      const busy = [
        ...new Set([...this.retiring.map((w) => w.pid), ...shuttingDownWorkers(this.record!.pid)]),
      ];
      if (busy.length === 0) return;
      if (clock.now() >= deadline) {
        this.context.log.warn("nginx drain timed out with old workers still finishing requests", {
          service: this.context.service,
          workers: busy,
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
    else await stopMaster(this.prefix.readPid(), this.prefix.dir);
    this.record = undefined;
  }

  address(): { host: string; port: number } | undefined {
    if (this.record) return { host: this.record.listenHost, port: this.record.listenPort };
    return { host: this.config.host, port: this.config.listen };
  }

  private async start(signal: AbortSignal): Promise<RouterRecord> {
    const { project, environment, service, store, clock } = this.context;
    const binary = this.binary();
    this.prefix.prepare();
    // A master the store forgot (its record deleted) still holds the ports: stop it first.
    await stopMaster(this.prefix.readPid(), this.prefix.dir);
    const adminPort = await freeLoopbackPort();
    const generation = (this.prefix.readApplied()?.generation ?? 0) + 1;
    const candidate = this.prefix.writeCandidate(
      generation,
      renderNginxConfig({ backends: [] }, this.settings(adminPort, generation)),
    );
    try {
      await testConfig(binary, this.prefix.dir, candidate, signal);
    } catch (error) {
      this.prefix.discard(candidate);
      throw error;
    }
    this.prefix.promote(candidate);
    this.prefix.truncateAccessLog();
    const run = await runNginx(binary, prefixArgs(this.prefix.dir, this.prefix.confFile), signal);
    if (run.code !== 0) throw this.startFailure(run.output);
    const pid = await this.awaitPid(signal);
    const verified = await awaitGeneration(adminPort, generation, {
      consecutive: 1,
      timeoutMs: START_TIMEOUT_MS,
      signal,
    });
    if (!verified.ok) {
      await stopMaster(pid, this.prefix.dir);
      throw new RouterError(`nginx for ${service} started but its admin server does not answer`, {
        hint: `see ${this.prefix.errorLog}: ${readErrorLogTail(this.prefix.errorLog)}`,
      });
    }
    this.prefix.writeApplied({ generation, listeners: this.listeners() });
    const record: RouterRecord = {
      project,
      environment,
      service,
      pid,
      listenHost: this.config.host,
      listenPort: this.config.listen,
      adminPort,
      // The admin server answers only loopback and shows no secret; there is no token to keep.
      token: "",
      startedAt: clock.now(),
    };
    await store.putRouter(record);
    this.context.log.info("nginx router started", { service, pid, port: this.config.listen });
    return record;
  }

  private async reload(record: RouterRecord, generation: number, signal: AbortSignal): Promise<void> {
    if (!pidAlive(record.pid) || !looksLikeNginxMaster(record.pid)) {
      throw new RouterError(`nginx master ${record.pid} of ${this.context.service} is not running`, {
        hint: "`ensure` starts a new one (the next reconcile pass does)",
      });
    }
    const before = workerIdentities(record.pid);
    // `nginx -s reload` sends exactly this signal to the pid file's master.
    process.kill(record.pid, "SIGHUP");
    this.retiring = [...this.retiring.filter(workerRunning), ...before];
    const workers = this.config.workerProcesses === "auto" ? 4 : this.config.workerProcesses;
    const verified = await awaitGeneration(record.adminPort, generation, {
      consecutive: Math.max(3, workers * 2),
      timeoutMs: RELOAD_TIMEOUT_MS,
      signal,
    });
    if (!verified.ok) {
      throw new RouterError(
        `nginx for ${this.context.service} did not load generation ${generation} within ${RELOAD_TIMEOUT_MS}ms ` +
          `(it answers ${verified.last ?? "nothing"}): ${readErrorLogTail(this.prefix.errorLog)}`,
        { hint: "the master keeps serving its previous configuration; see the error log above" },
      );
    }
    await this.awaitOldWorkersQuit(record.pid, before, signal);
  }

  /**
   * A worker of the previous configuration keeps serving new requests on its keep-alive connections
   * (with the previous table) until it has handled the master's QUIT, which can come after the new
   * generation already answers: a table is applied once each of them is gone or shutting down.
   */
  private async awaitOldWorkersQuit(
    master: number,
    before: WorkerIdentity[],
    signal: AbortSignal,
  ): Promise<void> {
    const { clock } = this.context;
    const deadline = clock.now() + RELOAD_TIMEOUT_MS;
    for (;;) {
      const quitting = new Set(shuttingDownWorkers(master));
      const serving = before.filter((w) => workerRunning(w) && !quitting.has(w.pid));
      if (serving.length === 0) return;
      if (clock.now() >= deadline) {
        this.context.log.warn("nginx workers of the previous configuration did not begin to quit", {
          service: this.context.service,
          workers: serving.map((w) => w.pid),
        });
        return;
      }
      await clock.sleep(DRAIN_POLL_MS, signal);
    }
  }

  /** Whether the recorded master runs and its admin server answers (the generation does not matter). */
  private async serves(record: RouterRecord, signal: AbortSignal): Promise<boolean> {
    if (!pidAlive(record.pid) || !looksLikeNginxMaster(record.pid)) return false;
    if (!this.prefix.readApplied()) return false;
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await fetchGeneration(record.adminPort, signal)) !== undefined) return true;
      signal.throwIfAborted();
    }
    return false;
  }

  private async stopRecorded(record: RouterRecord, _signal: AbortSignal): Promise<void> {
    await stopMaster(pidAlive(record.pid) ? record.pid : this.prefix.readPid(), this.prefix.dir);
    await this.context.store.deleteRouter(record.project, record.environment, record.service);
  }

  private async connected(): Promise<boolean> {
    if (this.record) return true;
    const { project, environment, service, store } = this.context;
    this.record = await store.getRouter(project, environment, service);
    return this.record !== undefined;
  }

  private async awaitPid(signal: AbortSignal): Promise<number> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const pid = this.prefix.readPid();
      if (pid !== undefined && pidAlive(pid)) return pid;
      if (Date.now() >= deadline) {
        throw new RouterError(`nginx for ${this.context.service} did not write its pid file`, {
          hint: `see ${this.prefix.errorLog}: ${readErrorLogTail(this.prefix.errorLog)}`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      signal.throwIfAborted();
    }
  }

  private startFailure(output: string): RouterError {
    const message = emergLines(output);
    if (/Address already in use/.test(message)) {
      return new RouterError(
        `nginx for ${this.context.service} cannot listen on ${this.config.host}:${this.config.listen}: the port is in use`,
        { hint: "stop whatever listens there, or give the service another router.listen port" },
      );
    }
    return new RouterError(`nginx for ${this.context.service} failed to start: ${message}`, {
      hint: `see ${this.prefix.errorLog}`,
    });
  }

  private settings(adminPort: number, generation: number): NginxConfigSettings {
    const { project, environment, service } = this.context;
    return {
      name: `${project}/${environment}/${service}`,
      prefix: this.prefix.dir,
      host: this.config.host,
      listen: this.config.listen,
      ...(this.config.previewListen === undefined ? {} : { previewListen: this.config.previewListen }),
      adminPort,
      workerProcesses: this.config.workerProcesses,
      clientKeepaliveMs: this.config.clientKeepalive,
      generation,
    };
  }

  private listeners(): { previewListen?: number } {
    return this.config.previewListen === undefined ? {} : { previewListen: this.config.previewListen };
  }

  private binary(): string {
    return findNginx(this.config.nginx);
  }
}

/** A loopback port that was free a moment ago, for the admin server. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new RouterError("no free loopback port"))));
    });
  });
}
