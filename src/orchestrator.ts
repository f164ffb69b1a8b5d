import { randomUUID } from "node:crypto";
import { deliveryReport } from "./analytics/store-reader.js";
import type { DeliveryReport, ReportOptions } from "./analytics/types.js";
import { createToken, revokeToken, type TokenView, tokenView } from "./api/tokens.js";
import {
  type AuditSource,
  commandEntry,
  downEntry,
  notificationRetryEntry,
  releaseCreatedEntry,
} from "./audit/entries.js";
import { verifyStoredAudit } from "./audit/store-verify.js";
import type { AuditEntry, AuditFilter, AuditOrigin } from "./audit/types.js";
import type { AuditVerdict } from "./audit/verify.js";
import type {
  ActionOptions,
  ReleaseAction,
  ReportQuery,
  RollbackOutcome,
  RollbackRequest,
  TandemClient,
} from "./client.js";
import { type LoadedConfig, loadConfigWithRaw, parseServiceSnapshot } from "./config/index.js";
import { normalizeActor } from "./core/actor.js";
import { type Clock, systemClock } from "./core/clock.js";
import { type ServiceConfig, serviceIn, type TandemConfig } from "./core/config.js";
import { NotFoundError, TandemError } from "./core/errors.js";
import {
  type CommandType,
  isTerminal,
  type Logger,
  type ReleaseCommand,
  type ReleaseState,
  silentLogger,
  type TandemEvent,
  type VersionMetadata,
} from "./core/types.js";
import { createRelease } from "./engine/create-release.js";
import { checkDecision, promotionRequest } from "./engine/decisions.js";
import { Engine, type Plugins } from "./engine/engine.js";
import { holderIsDead } from "./engine/lease.js";
import { describePlan, type ReleasePlan } from "./engine/plan-view.js";
import { pluginContext } from "./engine/plugin-context.js";
import { defaultPlugins } from "./engine/plugins.js";
import { versionDirectory } from "./engine/release-checks.js";
import { createNotifier } from "./notify/index.js";
import { Notifications } from "./notify/notifications.js";
import {
  type CommandOptions,
  currentActor,
  type OrchestratorOptions,
  parseServiceVersion,
  type ReleaseRequest,
  storeOptions,
} from "./orchestrator-options.js";
import { type InfraContext, stopEverything, type WhereEntry, whereIs } from "./orchestrator-where.js";
import { resolveVersionMetadata } from "./registry/metadata.js";
import {
  previousVersion,
  publishVersion,
  type RegistryView,
  registryView,
  serviceVersions,
} from "./registry/view.js";
import { openStore, openStoreLazily } from "./store/index.js";
import type { OutboxDelivery, Store } from "./store/types.js";

export { currentActor, parseServiceVersion } from "./orchestrator-options.js";

/**
 * Tandem as a library: what the CLI, the API and through it the dashboard use. As a TandemClient it
 * is the local transport of the CLI's commands (the ApiClient is the remote one).
 */
export class Orchestrator implements TandemClient {
  readonly config: TandemConfig;
  readonly store: Store;
  readonly engine: Engine;
  readonly clock: Clock;
  /** Delivers the notification outbox while this process drives releases. */
  readonly notifications: Notifications;
  private readonly plugins: Plugins;
  private readonly log: Logger;

  /** Like the constructor, but opens the store first, so a store that cannot open fails here. */
  static async open(file: string, options: OrchestratorOptions = {}): Promise<Orchestrator> {
    const loaded = loadConfigWithRaw(file, { env: options.env ?? process.env });
    if (options.store) return new Orchestrator(loaded, options);
    const store = await openStore(loaded.config.store, storeOptions(loaded.config));
    const orchestrator = new Orchestrator(loaded, { ...options, store });
    orchestrator.ownsStore = true;
    return orchestrator;
  }

  private readonly loaded: LoadedConfig;
  /** Whether `close` closes the store: yes unless the caller passed one in. */
  private ownsStore: boolean;

  /**
   * `config` is the path of a tandem.yaml or a configuration already parsed with `parseConfigWithRaw`.
   * The configured store opens on first use unless `options.store` is given.
   */
  constructor(
    config: string | LoadedConfig,
    private readonly options: OrchestratorOptions = {},
  ) {
    const loaded =
      typeof config === "string" ? loadConfigWithRaw(config, { env: options.env ?? process.env }) : config;
    const store = options.store ?? openStoreLazily(loaded.config.store, storeOptions(loaded.config));
    this.loaded = loaded;
    this.ownsStore = !options.store;
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
      env: options.env ?? process.env,
      serviceConfig: (release, service) => this.serviceConfig(release, service),
    });
    this.notifications = new Notifications({
      store,
      channels: this.config.notifications,
      createNotifier: options.createNotifier ?? createNotifier,
      clock: this.clock,
      log: this.log,
      tuning: options.notifications,
    });
    this.engine.subscribe(() => this.notifications.wake());
  }

  defaultEnvironment(): string {
    return Object.keys(this.config.environments)[0]!;
  }

  async createRelease(request: ReleaseRequest): Promise<ReleaseState> {
    const environment = request.environment ?? this.defaultEnvironment();
    const { actor, origin } = this.source(request);
    const kind = request.promotedFrom ? "promote" : request.fast ? "rollback" : "deploy";
    return createRelease(
      {
        environment,
        services: request.services.map((s) => (typeof s === "string" ? parseServiceVersion(s) : s)),
        actor,
        fast: request.fast,
        overrideFreeze: request.overrideFreeze,
        promotedFrom: request.promotedFrom,
        dryRun: request.dryRun,
      },
      {
        store: this.store,
        config: this.config,
        now: this.clock.now(),
        snapshot: (s) => this.loaded.raw.environments?.[environment]?.[s] ?? this.loaded.raw.services[s],
        metadata: (service, version) =>
          resolveVersionMetadata(
            this.store,
            this.config.project,
            service,
            version,
            versionDirectory(this.config, environment, service, version),
            this.clock.now(),
            actor,
            origin,
          ),
        audit: (release) => [releaseCreatedEntry(release, { actor, origin }, kind, request.reason)],
        lease: request.drive ? (id) => this.engine.leaseFor(id) : undefined,
        verify: (service, version) =>
          this.plugins
            .createTarget(
              serviceIn(this.config, environment, service)!.target,
              this.pluginContext(environment, service),
            )
            .verify?.(version),
      },
    );
  }

  /** Drives a release until it ends, delivering notifications beside it. */
  run(releaseId: string, signal?: AbortSignal): Promise<ReleaseState> {
    this.notifications.start();
    return this.engine.run(releaseId, signal);
  }

  /** Drives every unfinished release of the project (after an engine crash, for instance). */
  runActive(signal?: AbortSignal): Promise<ReleaseState[]> {
    this.notifications.start();
    return this.engine.runActive(signal);
  }

  subscribe(listener: (event: TandemEvent) => void): () => void {
    return this.engine.subscribe(listener);
  }

  /** The release that `createRelease` would start (every check included), as a DAG with timings. */
  /** The release `request` would create, as a DAG with timings. A change freeze is shown, not refused. */
  async plan(request: ReleaseRequest): Promise<ReleasePlan> {
    const release = await this.validate({ ...request, overrideFreeze: request.overrideFreeze ?? "(plan)" });
    return describePlan(
      release,
      (service) => serviceIn(this.config, release.environment, service)!.strategy.type,
    );
  }

  async getStatus(releaseId: string): Promise<ReleaseState> {
    const release = await this.store.getRelease(releaseId);
    if (!release) throw new NotFoundError(`release ${releaseId}`, "`tandem history` lists releases");
    return release;
  }

  /** The newest releases first. */
  history(
    filter: {
      environment?: string;
      service?: string;
      limit?: number;
      active?: boolean;
      before?: string;
    } = {},
  ) {
    return this.store.listReleases({ project: this.config.project, ...filter, limit: filter.limit ?? 20 });
  }

  /** A release's events, oldest first: after `afterSeq`, at most `limit` (default all). */
  events(releaseId: string, afterSeq?: number, limit?: number): Promise<TandemEvent[]> {
    return this.store.listEvents({ releaseId, afterSeq, limit });
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
    options: CommandOptions & { environment?: string; to?: string; drive?: boolean } = {},
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
    const target =
      options.to ?? (await previousVersion(this.store, this.config.project, environment, service));
    const release = await this.createRelease({
      environment,
      services: [{ service, version: target }],
      actor: options.actor,
      origin: options.origin,
      reason: options.reason,
      fast: true,
      drive: options.drive,
    });
    return { kind: "release", release };
  }

  /** The delivery report (DORA metrics), by default over the 30 days before now (README "Delivery analytics"). */
  analytics(options: Partial<ReportOptions> = {}): Promise<DeliveryReport> {
    return deliveryReport(this.store, this.config, { ...options, now: options.now ?? this.clock.now() });
  }

  /** What runs where: the stable version, instances and router of each service in each environment. */
  where(environment?: string): Promise<WhereEntry[]> {
    return whereIs(this.infra(), environment);
  }

  /** Stops the project's routers and instances (they keep serving after the CLI exits otherwise). */
  async down(
    options: CommandOptions & { environment?: string; force?: boolean } = {},
  ): Promise<{ routers: number; instances: number }> {
    const stopped = await stopEverything(this.infra(), options);
    await this.store.appendAudit([downEntry(options, this.source(options), stopped, this.clock.now())]);
    return stopped;
  }

  /** Approves the release's open gate (its environment's, or the `approval` step of `service`). */
  approve(releaseId: string, options: CommandOptions & { comment?: string } = {}) {
    return this.decide(releaseId, "approve", options);
  }

  /** Rejects the open gate: before anything moved the release ends; at a step, the rollout rolls back. */
  reject(releaseId: string, options: CommandOptions & { comment?: string } = {}) {
    return this.decide(releaseId, "reject", options);
  }

  /**
   * Releases the same versions as a succeeded release into the next environment (`to`, or the one
   * whose `after` is the release's environment).
   */
  async promote(
    releaseId: string,
    options: {
      to?: string;
      actor?: string;
      origin?: AuditOrigin;
      overrideFreeze?: string;
      /** This process drives the release next (see ReleaseRequest.drive). */
      drive?: boolean;
    } = {},
  ): Promise<ReleaseState> {
    const source = await this.getStatus(releaseId);
    const request = promotionRequest(this.config, source, options.to);
    return this.createRelease({
      ...request,
      actor: options.actor,
      origin: options.origin,
      overrideFreeze: options.overrideFreeze,
      promotedFrom: source.id,
      drive: options.drive,
    });
  }

  /**
   * Runs every check a release goes through (configuration, freeze, promotion order, version
   * requirements, dependency cycles) without creating it. Throws the error `createRelease` would.
   */
  async validate(request: ReleaseRequest): Promise<ReleaseState> {
    return this.createRelease({ ...request, dryRun: true });
  }

  /**
   * Makes dead notification deliveries pending again (these ids, or every dead one), with a
   * `notification.retry` audit entry in the same transaction. Returns how many were revived.
   */
  reviveNotifications(ids: string[] | undefined, options: CommandOptions = {}): Promise<number> {
    const now = this.clock.now();
    const entry = notificationRetryEntry(ids, this.source(options), now, options.reason);
    return this.store.reviveOutbox(ids, now, [entry]);
  }

  // TandemClient: what a CLI command asks, here answered on the store.

  /** The newest releases first (`history` with the API's name). */
  releases(filter: { active?: boolean; environment?: string; service?: string; limit?: number } = {}) {
    return this.history(filter);
  }

  release(id: string): Promise<ReleaseState> {
    return this.getStatus(id);
  }

  auditEntries(filter: AuditFilter): Promise<AuditEntry[]> {
    return this.store.listAudit(filter);
  }

  /** The audit trail's hash chain, recomputed (the store file's integrity is `store.checkIntegrity`). */
  verifyAudit(expectHead?: string): Promise<AuditVerdict> {
    return verifyStoredAudit(this.store, { expectHead });
  }

  createToken(request: {
    name: string;
    role: string;
    environments?: string[];
    expires?: string;
    actor?: string;
  }): Promise<{ token: string; record: TokenView }> {
    return createToken(this.store, this.clock, request, this.source({}));
  }

  async tokens(): Promise<TokenView[]> {
    return (await this.store.listTokens()).map(tokenView);
  }

  async revokeToken(idOrName: string): Promise<{ revoked: string }> {
    if (!(await revokeToken(this.store, this.clock, idOrName, this.source({})))) {
      throw new NotFoundError(`active token ${idOrName}`, "`tandem token list` lists them");
    }
    return { revoked: idOrName };
  }

  registry(environment?: string): Promise<RegistryView> {
    return registryView(this.store, this.config, environment);
  }

  versions(service: string): Promise<VersionMetadata[]> {
    return serviceVersions(this.store, this.config, service);
  }

  publishVersion(request: {
    service: string;
    version: string;
    provides: Record<string, string>;
    requires: Record<string, string>;
  }): Promise<VersionMetadata> {
    const { actor, origin } = this.source({});
    return publishVersion(this.store, this.config, {
      service: request.service,
      version: request.version,
      metadata: { provides: request.provides, requires: request.requires },
      actor,
      now: this.clock.now(),
      origin,
    });
  }

  deliveries(query: { channel?: string; all?: boolean }): Promise<OutboxDelivery[]> {
    return this.store.listOutbox({ statuses: query.all ? [] : ["pending", "dead"], channel: query.channel });
  }

  async retryNotifications(request: { ids?: string[]; allDead?: true }): Promise<{ revived: number }> {
    return { revived: await this.reviveNotifications(request.allDead ? undefined : request.ids) };
  }

  now(): number {
    return this.clock.now();
  }

  async rollbackService(request: RollbackRequest): Promise<RollbackOutcome> {
    const { service, ...options } = request;
    const result = await this.rollback(service, options);
    return result.kind === "command" ? result : { ...result, releaseId: result.release.id };
  }

  act(releaseId: string, action: ReleaseAction, options: ActionOptions): Promise<ReleaseCommand> {
    if (action === "approve") return this.approve(releaseId, options);
    if (action === "reject") return this.reject(releaseId, options);
    if (action === "abort") return this.abort(releaseId, options);
    return this.resume(releaseId, options);
  }

  deliveryReport(query: ReportQuery): Promise<DeliveryReport> {
    return this.analytics(query);
  }

  async close(): Promise<void> {
    await this.notifications.stop();
    this.engine.close();
    if (this.ownsStore) await this.store.close();
  }

  /** Whether a live engine is driving the release now (holds its lease), so a command will be acted on. */
  async isDriven(releaseId: string): Promise<boolean> {
    const lease = await this.store.getLease(`release:${releaseId}`);
    return Boolean(lease && lease.expiresAt > this.clock.now() && !holderIsDead(lease.holder));
  }

  private async decide(
    releaseId: string,
    type: "approve" | "reject",
    options: CommandOptions & { comment?: string },
  ) {
    const release = await this.getStatus(releaseId);
    const { actor } = this.source(options);
    checkDecision(release, type, actor, options.service);
    return this.command(releaseId, type, { ...options, actor, reason: options.comment ?? options.reason });
  }

  /**
   * Who acts and through which door: as given, else TANDEM_USER or the OS user, through "library";
   * the actor in its normalised form, so it is recorded and compared as one person everywhere.
   */
  private source(options: { actor?: string; origin?: AuditOrigin }): AuditSource {
    const given = options.actor === undefined ? "" : normalizeActor(options.actor);
    return {
      actor: given || currentActor(this.options.env),
      origin: options.origin ?? this.options.origin ?? "library",
    };
  }

  private infra(): InfraContext {
    return {
      config: this.config,
      store: this.store,
      plugins: this.plugins,
      context: (environment, service) => this.pluginContext(environment, service),
    };
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
    const source = this.source(options);
    const command = {
      id: randomUUID(),
      releaseId,
      service: options.service,
      type,
      actor: source.actor,
      reason: options.reason,
      createdAt: this.clock.now(),
      ...(options.token ? { token: { id: options.token.id, name: options.token.name } } : {}),
    };
    await this.store.addCommand(command, [commandEntry(command, source.origin)]);
    return command;
  }

  private serviceConfig(release: ReleaseState, service: string): ServiceConfig {
    const snapshot = release.services[service];
    return snapshot === undefined
      ? this.config.services[service]!
      : parseServiceSnapshot(snapshot, service, { env: this.options.env ?? process.env });
  }

  private pluginContext(environment: string, service: string) {
    return pluginContext(
      this.config,
      { environment, service },
      { store: this.store, clock: this.clock, log: this.log },
    );
  }
}

export type { CommandOptions, OrchestratorOptions, ReleaseRequest } from "./orchestrator-options.js";
export type { ReleasePlan, WhereEntry };
