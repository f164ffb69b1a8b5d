import type { AuditDraft, AuditEntry, AuditFilter, AuditHead } from "../../audit/types.js";
import type {
  RegistryEntry,
  ReleaseCommand,
  ReleaseState,
  TandemEvent,
  VersionMetadata,
} from "../../core/types.js";
import type { Migration } from "../migrations.js";
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
} from "../types.js";
import * as audit from "./audit.js";
import { checkPostgres } from "./check.js";
import { PostgresConnection } from "./connection.js";
import * as leases from "./leases.js";
import { applyPgMigrations } from "./migrations.js";
import * as outbox from "./outbox.js";
import * as registry from "./registry.js";
import * as releases from "./releases.js";
import * as tokens from "./tokens.js";
import * as versions from "./versions.js";

export interface PostgresStoreOptions extends StoreOptions {
  /** Connections kept open at most. Default 10. */
  maxConnections?: number;
}

/**
 * The store on a PostgreSQL database, shared by any number of Tandem processes on any machines. Same
 * semantics as SqliteStore (the conformance suite runs against both): every write that SQLite makes in
 * one BEGIN IMMEDIATE transaction is one transaction here; compare-and-swaps are conditional UPDATEs;
 * event and audit appends and outbox claims are serialized by advisory locks (connection.ts LOCKS).
 * The URL is a secret: errors name it with the password masked.
 */
export class PostgresStore implements Store {
  private readonly sql: PostgresConnection;

  /** Connects lazily (on the first call). Call `migrate()` before use. */
  constructor(
    url: string,
    private readonly options: PostgresStoreOptions = {},
  ) {
    this.sql = new PostgresConnection(url, {
      readonly: options.readonly,
      maxConnections: options.maxConnections,
    });
  }

  /** The URL with its password masked. */
  get where(): string {
    return this.sql.where;
  }

  get readonly(): boolean {
    return this.sql.readonly;
  }

  private guard<T>(operation: string, work: (sql: PostgresConnection) => Promise<T>): Promise<T> {
    return this.sql.guard(operation, () => work(this.sql));
  }

  async migrate(): Promise<void> {
    await this.applyMigrations();
  }

  /** Applies pending migrations under the migration lock; returns those this call applied. */
  async applyMigrations(): Promise<Migration[]> {
    return this.guard("migrate", (sql) => applyPgMigrations(sql));
  }

  async close(): Promise<void> {
    await this.sql.close();
  }

  async checkIntegrity(mode: "quick" | "full"): Promise<string[]> {
    return this.guard("checkIntegrity", (sql) => checkPostgres(sql, mode));
  }

  async createRelease(
    release: ReleaseState,
    events: TandemEvent[],
    auditDrafts?: AuditDraft[],
    lease?: LeaseClaim,
  ): Promise<void> {
    await this.guard("createRelease", (sql) =>
      releases.createRelease(sql, release, events, this.options.outbox, auditDrafts, lease),
    );
  }

  async getRelease(id: string): Promise<ReleaseState | undefined> {
    return this.guard("getRelease", (sql) => sql.snapshot((read) => releases.getRelease(read, id)));
  }

  async releaseRevision(id: string): Promise<number | undefined> {
    return this.guard("releaseRevision", (sql) => releases.releaseRevision(sql, id));
  }

  async listReleases(filter: ReleaseFilter): Promise<ReleaseState[]> {
    return this.guard("listReleases", (sql) => sql.snapshot((read) => releases.listReleases(read, filter)));
  }

  async writeRelease(write: ReleaseWrite): Promise<void> {
    await this.guard("writeRelease", (sql) => releases.writeRelease(sql, write, this.options.outbox));
  }

  async appendEvents(events: TandemEvent[]): Promise<void> {
    await this.guard("appendEvents", (sql) => releases.appendEvents(sql, events, this.options.outbox));
  }

  async listEvents(filter: EventFilter): Promise<TandemEvent[]> {
    return this.guard("listEvents", (sql) => releases.listEvents(sql, filter));
  }

  async addCommand(command: ReleaseCommand, auditDrafts?: AuditDraft[]): Promise<void> {
    await this.guard("addCommand", (sql) => releases.addCommand(sql, command, auditDrafts));
  }

  async pendingCommands(releaseId: string): Promise<ReleaseCommand[]> {
    return this.guard("pendingCommands", (sql) => releases.pendingCommands(sql, releaseId));
  }

  async getStable(project: string, environment: string, service: string): Promise<RegistryEntry | undefined> {
    return this.guard("getStable", (sql) => registry.getStable(sql, project, environment, service));
  }

  async listStable(project: string, environment: string): Promise<RegistryEntry[]> {
    return this.guard("listStable", (sql) => registry.listStable(sql, project, environment));
  }

  async registryHistory(
    project: string,
    environment: string,
    service?: string,
    limit?: number,
  ): Promise<RegistryEntry[]> {
    return this.guard("registryHistory", (sql) =>
      registry.registryHistory(sql, project, environment, service, limit),
    );
  }

  async putVersion(metadata: VersionMetadata, auditDrafts?: AuditDraft[]): Promise<void> {
    await this.guard("putVersion", (sql) =>
      sql.transaction(async (tx) => {
        await versions.putVersion(tx, metadata);
        await audit.insertAudit(tx, auditDrafts);
      }),
    );
  }

  async getVersion(project: string, service: string, version: string): Promise<VersionMetadata | undefined> {
    return this.guard("getVersion", (sql) => versions.getVersion(sql, project, service, version));
  }

  async listVersions(project: string, service?: string): Promise<VersionMetadata[]> {
    return this.guard("listVersions", (sql) => versions.listVersions(sql, project, service));
  }

  async putInstance(instance: InstanceRecord): Promise<void> {
    await this.guard("putInstance", (sql) => registry.putInstance(sql, instance));
  }

  async deleteInstance(id: string): Promise<void> {
    await this.guard("deleteInstance", (sql) => registry.deleteInstance(sql, id));
  }

  async writeInstances(changes: InstanceChanges): Promise<void> {
    if (!changes.put?.length && !changes.delete?.length) return;
    await this.guard("writeInstances", (sql) =>
      sql.transaction((tx) => registry.applyInstanceChanges(tx, changes)),
    );
  }

  async listInstances(filter: {
    project: string;
    environment?: string;
    service?: string;
    version?: string;
  }): Promise<InstanceRecord[]> {
    return this.guard("listInstances", (sql) => registry.listInstances(sql, filter));
  }

  async putRouter(router: RouterRecord): Promise<void> {
    await this.guard("putRouter", (sql) => registry.putRouter(sql, router));
  }

  async getRouter(project: string, environment: string, service: string): Promise<RouterRecord | undefined> {
    return this.guard("getRouter", (sql) => registry.getRouter(sql, project, environment, service));
  }

  async deleteRouter(project: string, environment: string, service: string): Promise<void> {
    await this.guard("deleteRouter", (sql) => registry.deleteRouter(sql, project, environment, service));
  }

  async listRouters(project: string): Promise<RouterRecord[]> {
    return this.guard("listRouters", (sql) => registry.listRouters(sql, project));
  }

  async acquireLease(
    name: string,
    holder: string,
    ttlMs: number,
    now: number,
    stealFrom?: string,
  ): Promise<boolean> {
    return this.guard("acquireLease", (sql) =>
      leases.acquireLeaseIn(sql, name, holder, ttlMs, now, stealFrom),
    );
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.guard("releaseLease", (sql) => leases.releaseLease(sql, name, holder));
  }

  async getLease(name: string): Promise<{ holder: string; expiresAt: number } | undefined> {
    return this.guard("getLease", (sql) => leases.getLease(sql, name));
  }

  /** The lease's fencing epoch: grows each time the holder changes (not in the Store interface yet). */
  async leaseEpoch(name: string): Promise<number | undefined> {
    return this.guard("leaseEpoch", (sql) => leases.leaseEpoch(sql, name));
  }

  async claimOutbox(claim: OutboxClaim): Promise<OutboxDelivery[]> {
    return this.guard("claimOutbox", (sql) => outbox.claimOutbox(sql, claim));
  }

  async markOutboxDelivered(ids: string[], at: number): Promise<void> {
    await this.guard("markOutboxDelivered", (sql) => outbox.markDelivered(sql, ids, at));
  }

  async retryOutboxLater(ids: string[], nextAttemptAt: number, error: string): Promise<void> {
    await this.guard("retryOutboxLater", (sql) => outbox.retryLater(sql, ids, nextAttemptAt, error));
  }

  async postponeOutbox(ids: string[], until: number): Promise<void> {
    await this.guard("postponeOutbox", (sql) => outbox.postpone(sql, ids, until));
  }

  async markOutboxDead(ids: string[], error: string): Promise<void> {
    await this.guard("markOutboxDead", (sql) => outbox.markDead(sql, ids, error));
  }

  async listOutbox(filter: OutboxFilter): Promise<OutboxDelivery[]> {
    return this.guard("listOutbox", (sql) => outbox.listOutbox(sql, filter));
  }

  async reviveOutbox(ids: string[] | undefined, now: number, auditDrafts?: AuditDraft[]): Promise<number> {
    return this.guard("reviveOutbox", (sql) =>
      sql.transaction(async (tx) => {
        const revived = await outbox.reviveOutbox(tx, ids, now);
        if (revived > 0) await audit.insertAudit(tx, auditDrafts);
        return revived;
      }),
    );
  }

  async outboxCounts(): Promise<Array<{ channel: string; status: OutboxStatus; count: number }>> {
    return this.guard("outboxCounts", (sql) => outbox.outboxCounts(sql));
  }

  async nextOutboxAttempt(channels: string[]): Promise<number | undefined> {
    return this.guard("nextOutboxAttempt", (sql) => outbox.nextAttempt(sql, channels));
  }

  async putToken(token: TokenRecord, auditDrafts?: AuditDraft[]): Promise<void> {
    await this.guard("putToken", (sql) =>
      sql.transaction(async (tx) => {
        await tokens.putToken(tx, token);
        await audit.insertAudit(tx, auditDrafts);
      }),
    );
  }

  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.guard("tokenByHash", (sql) => tokens.tokenByHash(sql, hash));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.guard("listTokens", (sql) => tokens.listTokens(sql));
  }

  async revokeToken(idOrName: string, at: number, auditDrafts?: AuditDraft[]): Promise<boolean> {
    return this.guard("revokeToken", (sql) =>
      sql.transaction(async (tx) => {
        const revoked = await tokens.revokeToken(tx, idOrName, at);
        if (revoked) await audit.insertAudit(tx, auditDrafts);
        return revoked;
      }),
    );
  }

  async appendAudit(drafts: AuditDraft[]): Promise<AuditEntry[]> {
    return this.guard("appendAudit", (sql) => audit.appendAudit(sql, drafts));
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return this.guard("listAudit", (sql) => audit.listAudit(sql, filter));
  }

  async allAudit(): Promise<AuditEntry[]> {
    return this.guard("allAudit", (sql) => sql.snapshot((read) => audit.allAudit(read)));
  }

  async auditHead(): Promise<AuditHead | undefined> {
    return this.guard("auditHead", (sql) => audit.auditHead(sql));
  }
}
