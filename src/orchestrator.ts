import { randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import { type LoadedConfig, loadConfigWithRaw, parseServiceSnapshot } from "./config/index.js";
import { type Clock, systemClock } from "./core/clock.js";
import type { ServiceConfig, TandemConfig } from "./core/config.js";
import { NotFoundError, TandemError } from "./core/errors.js";
import {
  type CommandType,
  isTerminal,
  type Logger,
  type RegistryEntry,
  type ReleaseState,
  type Step,
  silentLogger,
  type TandemEvent,
} from "./core/types.js";
import { createRelease, type ServiceVersion } from "./engine/create-release.js";
import { Engine, type Plugins } from "./engine/engine.js";
import { holderIsDead } from "./engine/lease.js";
import { defaultPlugins } from "./engine/plugins.js";
import { summarizeStats, type TrafficSummary } from "./routers/histogram.js";
import { openStore } from "./store/index.js";
import type { InstanceRecord, RouterRecord, Store } from "./store/types.js";
import { estimateDuration, planSteps } from "./strategies/index.js";

export interface OrchestratorOptions {
  clock?: Clock;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  plugins?: Partial<Plugins>;
  /** Use this store instead of opening the configured one. */
  store?: Store;
  passIntervalMs?: number;
}

export interface ReleaseRequest {
  environment?: string;
  /** `api@2.4.0` strings or {service, version} pairs. */
  services: Array<string | ServiceVersion>;
  actor?: string;
  fast?: boolean;
}

export interface ServicePlan {
  service: string;
  version: string;
  stableVersion: string | null;
  strategy: string;
  steps: Step[];
  minDurationMs: number;
  manualPauses: number;
}

export interface WhereEntry {
  environment: string;
  service: string;
  stable?: RegistryEntry;
  instances: InstanceRecord[];
  /** The router process, without its admin token (a secret that stays in the store). */
  router?: Omit<RouterRecord, "token">;
  /** Per-version traffic the router has seen since it started. */
  traffic?: Record<string, TrafficSummary>;
  /** Why the router's statistics could not be read. */
  routerProblem?: string;
}

/** The person or job acting: TANDEM_USER, else the OS user. */
export function currentActor(env: NodeJS.ProcessEnv = process.env): string {
  return env.TANDEM_USER || userInfo().username || "unknown";
}

export function parseServiceVersion(text: string): ServiceVersion {
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `"${text}" is not SERVICE@VERSION`, {
      hint: "write it like api@2.4.0",
    });
  }
  return { service: text.slice(0, at), version: text.slice(at + 1) };
}

/** Tandem as a library: what the CLI (and later the API and dashboard) use. */
export class Orchestrator {
  readonly config: TandemConfig;
  readonly store: Store;
  readonly engine: Engine;
  readonly clock: Clock;
  private readonly plugins: Plugins;
  private readonly log: Logger;

  static async open(file: string, options: OrchestratorOptions = {}): Promise<Orchestrator> {
    const loaded = loadConfigWithRaw(file, { env: options.env ?? process.env });
    const store = options.store ?? (await openStore(loaded.config.store));
    return new Orchestrator(loaded, store, options);
  }

  constructor(
    private readonly loaded: LoadedConfig,
    store: Store,
    private readonly options: OrchestratorOptions = {},
  ) {
    this.config = loaded.config;
    this.store = store;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.plugins = { ...defaultPlugins, ...options.plugins };
    this.engine = new Engine({
      store,
      config: this.config,
      plugins: this.plugins,
      clock: this.clock,
      log: this.log,
      passIntervalMs: options.passIntervalMs,
      serviceConfig: (release, service) => this.serviceConfig(release, service),
    });
  }

  defaultEnvironment(): string {
    return Object.keys(this.config.environments)[0]!;
  }

  async createRelease(request: ReleaseRequest): Promise<ReleaseState> {
    const environment = request.environment ?? this.defaultEnvironment();
    return createRelease(
      {
        environment,
        services: request.services.map((s) => (typeof s === "string" ? parseServiceVersion(s) : s)),
        actor: request.actor ?? currentActor(this.options.env),
        fast: request.fast,
      },
      {
        store: this.store,
        config: this.config,
        now: this.clock.now(),
        snapshot: (s) => this.loaded.raw.services[s],
        verify: (service, version) =>
          this.plugins
            .createTarget(this.config.services[service]!.target, this.pluginContext(environment, service))
            .verify?.(version),
      },
    );
  }

  /** Drives a release until it ends. */
  run(releaseId: string, signal?: AbortSignal): Promise<ReleaseState> {
    return this.engine.run(releaseId, signal);
  }

  /** Drives every unfinished release of the project (after an engine crash, for instance). */
  runActive(signal?: AbortSignal): Promise<ReleaseState[]> {
    return this.engine.runActive(signal);
  }

  subscribe(listener: (event: TandemEvent) => void): () => void {
    return this.engine.subscribe(listener);
  }

  async plan(request: ReleaseRequest): Promise<ServicePlan[]> {
    const environment = request.environment ?? this.defaultEnvironment();
    const plans: ServicePlan[] = [];
    for (const entry of request.services) {
      const { service, version } = typeof entry === "string" ? parseServiceVersion(entry) : entry;
      const spec = this.config.services[service];
      if (!spec)
        throw new NotFoundError(
          `service "${service}"`,
          `services: ${Object.keys(this.config.services).join(", ")}`,
        );
      const stable = await this.store.getStable(this.config.project, environment, service);
      const steps = planSteps(spec.strategy, spec.target.replicas, { hasStable: Boolean(stable) });
      const estimate = estimateDuration(steps);
      plans.push({
        service,
        version,
        stableVersion: stable?.version ?? null,
        strategy: stable ? spec.strategy.type : "first release",
        steps,
        minDurationMs: estimate.minMs,
        manualPauses: estimate.manualPauses,
      });
    }
    return plans;
  }

  async getStatus(releaseId: string): Promise<ReleaseState> {
    const release = await this.store.getRelease(releaseId);
    if (!release) throw new NotFoundError(`release ${releaseId}`, "`tandem history` lists releases");
    return release;
  }

  /** The newest releases first. */
  history(filter: { environment?: string; service?: string; limit?: number; active?: boolean } = {}) {
    return this.store.listReleases({ project: this.config.project, ...filter, limit: filter.limit ?? 20 });
  }

  events(releaseId: string, afterSeq?: number): Promise<TandemEvent[]> {
    return this.store.listEvents({ releaseId, afterSeq });
  }

  abort(releaseId: string, options: CommandOptions = {}) {
    return this.command(releaseId, "abort", options);
  }

  /** Continues past a pause that waits for a person; with `force`, skips a timed pause too. */
  resume(releaseId: string, options: CommandOptions & { force?: boolean } = {}) {
    return this.command(releaseId, options.force ? "promote" : "resume", options);
  }

  /**
   * During a release: asks the engine to roll the service back. Otherwise: starts a quick release of the
   * previous stable version (or `to`), which is checked by its probes like any other.
   */
  async rollback(
    service: string,
    options: CommandOptions & { environment?: string; to?: string } = {},
  ): Promise<{ kind: "command"; releaseId: string } | { kind: "release"; release: ReleaseState }> {
    const environment = options.environment ?? this.defaultEnvironment();
    const active = await this.store.listReleases({
      project: this.config.project,
      environment,
      service,
      active: true,
    });
    if (active[0] && !options.to) {
      await this.command(active[0].id, "rollback", { ...options, service });
      return { kind: "command", releaseId: active[0].id };
    }
    const history = await this.store.registryHistory(this.config.project, environment, service);
    const current = history[0]?.version;
    const target = options.to ?? history.find((entry) => entry.version !== current)?.version;
    if (!target) {
      throw new TandemError(
        "TANDEM_ERR_INVALID_REQUEST",
        `no earlier version of ${service} in ${environment}`,
        {
          hint: "name one with --to VERSION",
        },
      );
    }
    const release = await this.createRelease({
      environment,
      services: [{ service, version: target }],
      actor: options.actor,
      fast: true,
    });
    return { kind: "release", release };
  }

  /** What runs where: the stable version, instances and router of each service in each environment. */
  async where(environment?: string): Promise<WhereEntry[]> {
    const project = this.config.project;
    const environments = environment ? [environment] : Object.keys(this.config.environments);
    const entries: WhereEntry[] = [];
    for (const env of environments) {
      for (const service of Object.keys(this.config.services)) {
        const router = await this.store.getRouter(project, env, service);
        entries.push({
          environment: env,
          service,
          stable: await this.store.getStable(project, env, service),
          instances: await this.store.listInstances({ project, environment: env, service }),
          router: withoutToken(router),
          ...(router ? await this.traffic(env, service) : {}),
        });
      }
    }
    return entries;
  }

  /** Stops the project's routers and instances (they keep serving after the CLI exits otherwise). */
  async down(
    options: { environment?: string; force?: boolean } = {},
  ): Promise<{ routers: number; instances: number }> {
    const active = await this.store.listReleases({
      project: this.config.project,
      environment: options.environment,
      active: true,
    });
    if (active.length > 0 && !options.force) {
      throw new TandemError("TANDEM_ERR_RELEASE_ACTIVE", `release ${active[0]!.id} is still running`, {
        hint: "abort it first, or pass --force",
      });
    }
    const signal = AbortSignal.timeout(60_000);
    let routers = 0;
    let instances = 0;
    for (const entry of await this.where(options.environment)) {
      const spec = this.config.services[entry.service]!;
      const context = this.pluginContext(entry.environment, entry.service);
      const target = this.plugins.createTarget(spec.target, context);
      const running = await target.list();
      await target.stop(running, signal);
      instances += running.length;
      if (entry.router) {
        await this.plugins.createRouter(spec.router, context).stop(signal);
        routers++;
      }
    }
    return { routers, instances };
  }

  async close(): Promise<void> {
    this.engine.close();
    if (!this.options.store) await this.store.close();
  }

  private async traffic(environment: string, service: string) {
    const spec = this.config.services[service]!;
    try {
      const stats = await this.plugins
        .createRouter(spec.router, this.pluginContext(environment, service))
        .stats(AbortSignal.timeout(5_000));
      const traffic = Object.fromEntries(
        Object.entries(stats).map(([version, s]) => [version, summarizeStats(s)]),
      );
      return { traffic };
    } catch (error) {
      return { routerProblem: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Whether a live engine is driving the release now (holds its lease), so a command will be acted on. */
  async isDriven(releaseId: string): Promise<boolean> {
    const lease = await this.store.getLease(`release:${releaseId}`);
    return Boolean(lease && lease.expiresAt > this.clock.now() && !holderIsDead(lease.holder));
  }

  private async command(releaseId: string, type: CommandType, options: CommandOptions) {
    const release = await this.getStatus(releaseId);
    if (isTerminal(release.status)) {
      throw new TandemError(
        "TANDEM_ERR_INVALID_REQUEST",
        `release ${releaseId} already ended (${release.status})`,
        {
          hint:
            type === "rollback"
              ? "`tandem rollback SERVICE` starts a release of the previous version"
              : undefined,
        },
      );
    }
    if (options.service && !release.rollouts.some((r) => r.service === options.service)) {
      throw new NotFoundError(`service ${options.service} in release ${releaseId}`);
    }
    const command = {
      id: randomUUID(),
      releaseId,
      service: options.service,
      type,
      actor: options.actor ?? currentActor(this.options.env),
      reason: options.reason,
      createdAt: this.clock.now(),
    };
    await this.store.addCommand(command);
    return command;
  }

  private serviceConfig(release: ReleaseState, service: string): ServiceConfig {
    const snapshot = release.services[service];
    return snapshot === undefined
      ? this.config.services[service]!
      : parseServiceSnapshot(snapshot, service, { env: this.options.env ?? process.env });
  }

  private pluginContext(environment: string, service: string) {
    return {
      project: this.config.project,
      environment,
      service,
      stateDir: this.config.stateDir,
      baseDir: this.config.baseDir,
      store: this.store,
      clock: this.clock,
      log: this.log,
    };
  }
}

export interface CommandOptions {
  actor?: string;
  reason?: string;
  service?: string;
}

function withoutToken(record: RouterRecord | undefined): Omit<RouterRecord, "token"> | undefined {
  if (!record) return undefined;
  const { token: _secret, ...visible } = record;
  return visible;
}
