import type { AuditDraft, AuditEntry, AuditFilter, AuditHead } from "../audit/types.js";
import type {
  RegistryEntry,
  ReleaseCommand,
  ReleaseState,
  TandemEvent,
  VersionMetadata,
} from "../core/types.js";
import { applyMigrations, MIGRATIONS, type Migration } from "./migrations.js";
import * as audit from "./sqlite-audit.js";
import { guard, SqliteConnection } from "./sqlite-connection.js";
import { checkPages } from "./sqlite-faults.js";
import * as outbox from "./sqlite-outbox.js";
import * as registry from "./sqlite-registry.js";
import * as releases from "./sqlite-releases.js";
import * as tokens from "./sqlite-tokens.js";
import * as versions from "./sqlite-versions.js";
import type {
  EventFilter,
  InstanceChanges,
  InstanceRecord,
  LeaseClaim,
  OutboxClaim,
  OutboxDelivery,
  OutboxFilter,
  OutboxStatus,
  ReleaseFilter,
  ReleaseWrite,
  RouterRecord,
  Store,
  StoreOptions,
  TokenRecord,
} from "./types.js";

/**
 * The default store: one SQLite file shared by every Tandem process of a project (engine, CLI
 * commands, router clients), in WAL mode with a 5s busy timeout. Writes run in BEGIN IMMEDIATE
 * transactions. Methods are async so other stores (PostgreSQL) implement the same interface.
 *
 * Revisions: createRelease stores revision 0; each writeRelease stores expectedRevision + 1.
 * With `options.outbox`, every event is written with its outbox rows (one per channel it routes to).
 */
export class SqliteStore implements Store {
  private readonly sql: SqliteConnection;

  /** Opens (and creates, with its parent directory) the database file. Call `migrate()` before use. */
  constructor(
    readonly file: string,
    private readonly options: StoreOptions = {},
  ) {
    this.sql = guard(`opening ${file}`, () => new SqliteConnection(file, options), { file });
  }

  /** Runs a store operation; driver errors become TandemErrors naming the file (sqlite-connection.ts). */
  private guard<T>(operation: string, work: () => T): T {
    return guard(operation, work, { file: this.file, connection: this.sql });
  }

  /** True when the file was opened read-only (asked for, or not writable by this user): writes fail. */
  get readonly(): boolean {
    return this.sql.readonly;
  }

  async migrate(): Promise<void> {
    await this.applyMigrations();
  }

  /** Applies pending migrations; returns those this call applied (`tandem store migrate` prints them). */
  async applyMigrations(): Promise<Migration[]> {
    const versions = this.guard("migrate", () => applyMigrations(this.sql.db));
    return MIGRATIONS.filter((migration) => versions.includes(migration.version));
  }

  async close(): Promise<void> {
    this.sql.close();
  }

  async checkIntegrity(mode: "quick" | "full"): Promise<string[]> {
    return checkPages(this.sql.db, mode);
  }

  async createRelease(
    release: ReleaseState,
    events: TandemEvent[],
    auditDrafts?: AuditDraft[],
    lease?: LeaseClaim,
  ): Promise<void> {
    this.guard("createRelease", () =>
      releases.createRelease(this.sql, release, events, this.options.outbox, auditDrafts, lease),
    );
  }

  async getRelease(id: string): Promise<ReleaseState | undefined> {
    return this.guard("getRelease", () => releases.getRelease(this.sql, id));
  }

  async releaseRevision(id: string): Promise<number | undefined> {
    return this.guard("releaseRevision", () => releases.releaseRevision(this.sql, id));
  }

  async listReleases(filter: ReleaseFilter): Promise<ReleaseState[]> {
    return this.guard("listReleases", () => releases.listReleases(this.sql, filter));
  }

  async writeRelease(write: ReleaseWrite): Promise<void> {
    this.guard("writeRelease", () => releases.writeRelease(this.sql, write, this.options.outbox));
  }

  async appendEvents(events: TandemEvent[]): Promise<void> {
    this.guard("appendEvents", () => releases.appendEvents(this.sql, events, this.options.outbox));
  }

  async listEvents(filter: EventFilter): Promise<TandemEvent[]> {
    return this.guard("listEvents", () => releases.listEvents(this.sql, filter));
  }

  async addCommand(command: ReleaseCommand, auditDrafts?: AuditDraft[]): Promise<void> {
    this.guard("addCommand", () => releases.addCommand(this.sql, command, auditDrafts));
  }

  async pendingCommands(releaseId: string): Promise<ReleaseCommand[]> {
    return this.guard("pendingCommands", () => releases.pendingCommands(this.sql, releaseId));
  }

  async getStable(project: string, environment: string, service: string): Promise<RegistryEntry | undefined> {
    return this.guard("getStable", () => registry.getStable(this.sql, project, environment, service));
  }

  async listStable(project: string, environment: string): Promise<RegistryEntry[]> {
    return this.guard("listStable", () => registry.listStable(this.sql, project, environment));
  }

  async registryHistory(
    project: string,
    environment: string,
    service?: string,
    limit?: number,
  ): Promise<RegistryEntry[]> {
    return this.guard("registryHistory", () =>
      registry.registryHistory(this.sql, project, environment, service, limit),
    );
  }

  async putVersion(metadata: VersionMetadata, auditDrafts?: AuditDraft[]): Promise<void> {
    this.guard("putVersion", () =>
      this.sql.write(() => {
        versions.putVersion(this.sql, metadata);
        audit.insertAudit(this.sql, auditDrafts);
      }),
    );
  }

  async getVersion(project: string, service: string, version: string): Promise<VersionMetadata | undefined> {
    return this.guard("getVersion", () => versions.getVersion(this.sql, project, service, version));
  }

  async listVersions(project: string, service?: string): Promise<VersionMetadata[]> {
    return this.guard("listVersions", () => versions.listVersions(this.sql, project, service));
  }

  async putInstance(instance: InstanceRecord): Promise<void> {
    this.guard("putInstance", () => registry.putInstance(this.sql, instance));
  }

  async deleteInstance(id: string): Promise<void> {
    this.guard("deleteInstance", () => registry.deleteInstance(this.sql, id));
  }

  async writeInstances(changes: InstanceChanges): Promise<void> {
    if (!changes.put?.length && !changes.delete?.length) return;
    this.guard("writeInstances", () =>
      this.sql.write(() => registry.applyInstanceChanges(this.sql, changes)),
    );
  }

  async listInstances(filter: {
    project: string;
    environment?: string;
    service?: string;
    version?: string;
  }): Promise<InstanceRecord[]> {
    return this.guard("listInstances", () => registry.listInstances(this.sql, filter));
  }

  async putRouter(router: RouterRecord): Promise<void> {
    this.guard("putRouter", () => registry.putRouter(this.sql, router));
  }

  async getRouter(project: string, environment: string, service: string): Promise<RouterRecord | undefined> {
    return this.guard("getRouter", () => registry.getRouter(this.sql, project, environment, service));
  }

  async deleteRouter(project: string, environment: string, service: string): Promise<void> {
    this.guard("deleteRouter", () => registry.deleteRouter(this.sql, project, environment, service));
  }

  async listRouters(project: string): Promise<RouterRecord[]> {
    return this.guard("listRouters", () => registry.listRouters(this.sql, project));
  }

  async acquireLease(
    name: string,
    holder: string,
    ttlMs: number,
    now: number,
    stealFrom?: string,
  ): Promise<boolean> {
    return this.guard("acquireLease", () =>
      registry.acquireLease(this.sql, name, holder, ttlMs, now, stealFrom),
    );
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.guard("releaseLease", () => registry.releaseLease(this.sql, name, holder));
  }

  async getLease(name: string): Promise<{ holder: string; expiresAt: number } | undefined> {
    return this.guard("getLease", () => registry.getLease(this.sql, name));
  }

  async claimOutbox(claim: OutboxClaim): Promise<OutboxDelivery[]> {
    return this.guard("claimOutbox", () => outbox.claimOutbox(this.sql, claim));
  }

  async markOutboxDelivered(ids: string[], at: number): Promise<void> {
    this.guard("markOutboxDelivered", () => outbox.markDelivered(this.sql, ids, at));
  }

  async retryOutboxLater(ids: string[], nextAttemptAt: number, error: string): Promise<void> {
    this.guard("retryOutboxLater", () => outbox.retryLater(this.sql, ids, nextAttemptAt, error));
  }

  async postponeOutbox(ids: string[], until: number): Promise<void> {
    this.guard("postponeOutbox", () => outbox.postpone(this.sql, ids, until));
  }

  async markOutboxDead(ids: string[], error: string): Promise<void> {
    this.guard("markOutboxDead", () => outbox.markDead(this.sql, ids, error));
  }

  async listOutbox(filter: OutboxFilter): Promise<OutboxDelivery[]> {
    return this.guard("listOutbox", () => outbox.listOutbox(this.sql, filter));
  }

  async reviveOutbox(ids: string[] | undefined, now: number, auditDrafts?: AuditDraft[]): Promise<number> {
    return this.guard("reviveOutbox", () =>
      this.sql.write(() => {
        const revived = outbox.reviveOutbox(this.sql, ids, now);
        if (revived > 0) audit.insertAudit(this.sql, auditDrafts);
        return revived;
      }),
    );
  }

  async outboxCounts(): Promise<Array<{ channel: string; status: OutboxStatus; count: number }>> {
    return this.guard("outboxCounts", () => outbox.outboxCounts(this.sql));
  }

  async nextOutboxAttempt(channels: string[]): Promise<number | undefined> {
    return this.guard("nextOutboxAttempt", () => outbox.nextAttempt(this.sql, channels));
  }

  async putToken(token: TokenRecord, auditDrafts?: AuditDraft[]): Promise<void> {
    this.guard("putToken", () =>
      this.sql.write(() => {
        tokens.putToken(this.sql, token);
        audit.insertAudit(this.sql, auditDrafts);
      }),
    );
  }

  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.guard("tokenByHash", () => tokens.tokenByHash(this.sql, hash));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.guard("listTokens", () => tokens.listTokens(this.sql));
  }

  async revokeToken(idOrName: string, at: number, auditDrafts?: AuditDraft[]): Promise<boolean> {
    return this.guard("revokeToken", () =>
      this.sql.write(() => {
        const revoked = tokens.revokeToken(this.sql, idOrName, at);
        if (revoked) audit.insertAudit(this.sql, auditDrafts);
        return revoked;
      }),
    );
  }

  async appendAudit(drafts: AuditDraft[]): Promise<AuditEntry[]> {
    return this.guard("appendAudit", () => audit.appendAudit(this.sql, drafts));
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return this.guard("listAudit", () => audit.listAudit(this.sql, filter));
  }

  async allAudit(): Promise<AuditEntry[]> {
    return this.guard("allAudit", () => [...audit.iterateAudit(this.sql)]);
  }

  async auditHead(): Promise<AuditHead | undefined> {
    return this.guard("auditHead", () => audit.auditHead(this.sql));
  }
}
