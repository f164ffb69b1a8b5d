import type { AuditDraft, AuditEntry, AuditFilter, AuditHead, AuditLog } from "../audit/types.js";
import type {
  Endpoint,
  RegistryEntry,
  ReleaseCommand,
  ReleaseState,
  Status,
  TandemEvent,
  VersionMetadata,
} from "../core/types.js";

/** A process started by the process target, remembered so a restarted engine adopts it. */
export interface InstanceRecord extends Endpoint {
  project: string;
  environment: string;
  service: string;
  logFile: string;
}

/** A router data-plane process, remembered so a restarted engine adopts it. */
export interface RouterRecord {
  project: string;
  environment: string;
  service: string;
  pid: number;
  listenHost: string;
  listenPort: number;
  adminPort: number;
  /** Bearer token for the router's admin API (loopback only). */
  token: string;
  startedAt: number;
}

export interface ReleaseFilter {
  project: string;
  environment?: string;
  service?: string;
  /** Only releases that are not terminal. */
  active?: boolean;
  statuses?: Status[];
  /** Only releases listed after this one (newest first): the cursor of the next page. */
  before?: string;
  limit?: number;
}

/**
 * Everything one engine pass writes, atomically: the release (CAS on revision) and what goes with it.
 *
 * Contract every store keeps (the conformance suite checks it):
 *  - One compare-and-swap on the release revision guards the whole write: when the stored revision is
 *    not `expectedRevision`, CasConflictError and nothing of the write is stored. So two engines never
 *    both write a pass, and the rollouts a write leaves alone are those the writer read.
 *  - With `changedRollouts`, the store writes the release's own fields and only the rollouts of those
 *    services, so a pass over a release of thousands of services costs what changed. Without it, every
 *    rollout is written and stored rollouts no longer in `release.rollouts` are removed (the only way
 *    to change the set or the order of rollouts).
 *  - `release.services` (the configuration snapshots) is stored by createRelease and never rewritten:
 *    reads return the created one.
 *  - Events are appended, never rewritten.
 */
export interface ReleaseWrite {
  /** The release as it stands after the change, every rollout included. */
  release: ReleaseState;
  /** The revision the writer read; the write fails with CasConflictError if the stored one differs. */
  expectedRevision: number;
  /**
   * Services whose rollouts differ from the ones read at `expectedRevision` (each must be a rollout of
   * the release, or the write fails with TANDEM_ERR_INVALID_REQUEST and writes nothing). Absent: all.
   */
  changedRollouts?: readonly string[];
  events?: TandemEvent[];
  consumedCommands?: string[];
  registry?: RegistryEntry[];
  /** Audit entries of this change, chained and written in the same transaction. */
  audit?: AuditDraft[];
  /**
   * Instance records the pass changed, written in the same transaction (after the CAS succeeded): on a
   * conflict they are not written either, and the writer records them with `writeInstances`.
   */
  instances?: InstanceChanges;
}

/**
 * A batch of instance record writes, applied in one transaction: every `put` (insert or replace by id),
 * then every `delete` (an id that is not stored is ignored). An id in both ends deleted.
 */
export interface InstanceChanges {
  put?: readonly InstanceRecord[];
  delete?: readonly string[];
}

export interface EventFilter {
  releaseId?: string;
  project?: string;
  afterSeq?: number;
  limit?: number;
}

export type OutboxStatus = "pending" | "delivered" | "dead";

/** One notification delivery: an event routed to a channel, in the outbox (see src/notify/). */
export interface OutboxDelivery {
  /** A UUID; the idempotency key of a plain notification. */
  id: string;
  channel: string;
  eventSeq: number;
  releaseId: string;
  status: OutboxStatus;
  /** Attempts made (an attempt skipped while the channel's circuit is open does not count). */
  attempts: number;
  nextAttemptAt: number;
  /** Short and redacted. */
  lastError?: string;
  createdAt: number;
  deliveredAt?: number;
  /** Set for a channel with a digest: the rows of one group are sent as one notification. */
  digestGroup?: string;
  /** A digest's rows once first claimed; its idempotency key (stable over retries). */
  batch?: string;
  /** The event, as stored. */
  event: TandemEvent;
}

export interface OutboxFilter {
  /** Empty or absent: every status. */
  statuses?: OutboxStatus[];
  channel?: string;
  releaseId?: string;
  limit?: number;
}

export interface OutboxClaim {
  now: number;
  /** Who claims (one dispatcher); the claim lasts until now + leaseMs, then others may take the rows. */
  holder: string;
  leaseMs: number;
  /** Only rows of these channels. */
  channels: string[];
  /** At most about this many rows (a digest's rows always come whole). Default 100. */
  limit?: number;
}

/**
 * Which channels an event goes to, given to the store when it is opened: the store writes one
 * outbox row per (event, channel) in the transaction that writes the event.
 */
export interface OutboxRouting {
  route(event: TandemEvent): string[];
  /** A channel's digest window in ms (0: none). */
  digest?(channel: string): number;
}

export type TokenRole = "viewer" | "deployer" | "approver" | "admin";

/** An API token as stored: never the token itself, only its sha256 (`hash`). */
export interface TokenRecord {
  id: string;
  name: string;
  role: TokenRole;
  /** Who acts with this token (approvals, releases created): the token's name unless set. */
  actor: string;
  /** Environments the token may change; empty: all. */
  environments: string[];
  /** Hex sha256 of the token. */
  hash: string;
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
}

export interface StoreOptions {
  outbox?: OutboxRouting;
  /**
   * Open the store read-only: reads work, writes fail with TANDEM_ERR_STORE_READONLY, `migrate` writes
   * nothing when the schema is current. Default: read-only only when this user cannot write the file
   * or its directory.
   */
  readonly?: boolean;
  /** Check the file (PRAGMA quick_check) when it is opened; damage is TANDEM_ERR_STORE_CORRUPT. Default true. */
  check?: boolean;
}

/** A lease taken in the same transaction as a new release, so no release exists without its driver. */
export interface LeaseClaim {
  name: string;
  holder: string;
  ttlMs: number;
  now: number;
}

export interface Store extends AuditLog {
  /** Applies pending migrations. Safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Checks the stored file itself: `quick` (every page's structure) or `full` (also every index against
   * its table). Returns the problems found; empty when the file is sound.
   */
  checkIntegrity(mode: "quick" | "full"): Promise<string[]>;

  /**
   * Inserts a new release (revision must be 0) with its first events, and takes `lease` in the same
   * transaction: when the lease is held by someone else (TANDEM_ERR_LEASE) or cannot be written, the
   * release is not created.
   */
  createRelease(
    release: ReleaseState,
    events: TandemEvent[],
    audit?: AuditDraft[],
    lease?: LeaseClaim,
  ): Promise<void>;
  getRelease(id: string): Promise<ReleaseState | undefined>;
  /**
   * The stored revision of a release (undefined when there is none), read without the release: a
   * writer that kept what it wrote reads the release again only when this moved.
   */
  releaseRevision(id: string): Promise<number | undefined>;
  listReleases(filter: ReleaseFilter): Promise<ReleaseState[]>;
  /**
   * CAS write (see ReleaseWrite for the contract); on success the stored revision is expectedRevision + 1
   * (and release.revision is set so).
   */
  writeRelease(write: ReleaseWrite): Promise<void>;

  appendEvents(events: TandemEvent[]): Promise<void>;
  listEvents(filter: EventFilter): Promise<TandemEvent[]>;

  addCommand(command: ReleaseCommand, audit?: AuditDraft[]): Promise<void>;
  pendingCommands(releaseId: string): Promise<ReleaseCommand[]>;

  getStable(project: string, environment: string, service: string): Promise<RegistryEntry | undefined>;
  /** getStable of every service of the environment that has a stable version, in one read (by service). */
  listStable(project: string, environment: string): Promise<RegistryEntry[]>;
  /** Newest first. */
  registryHistory(
    project: string,
    environment: string,
    service?: string,
    limit?: number,
  ): Promise<RegistryEntry[]>;

  /** Stores (or replaces) what a version provides and requires. */
  putVersion(metadata: VersionMetadata, audit?: AuditDraft[]): Promise<void>;
  getVersion(project: string, service: string, version: string): Promise<VersionMetadata | undefined>;
  /** Newest published first. */
  listVersions(project: string, service?: string): Promise<VersionMetadata[]>;

  putInstance(instance: InstanceRecord): Promise<void>;
  deleteInstance(id: string): Promise<void>;
  /** Puts and deletes instance records in one transaction (InstanceChanges). */
  writeInstances(changes: InstanceChanges): Promise<void>;
  listInstances(filter: {
    project: string;
    environment?: string;
    service?: string;
    version?: string;
  }): Promise<InstanceRecord[]>;

  putRouter(router: RouterRecord): Promise<void>;
  getRouter(project: string, environment: string, service: string): Promise<RouterRecord | undefined>;
  deleteRouter(project: string, environment: string, service: string): Promise<void>;
  listRouters(project: string): Promise<RouterRecord[]>;

  /**
   * Takes or renews the named lease for `holder` until now + ttlMs. Succeeds when the lease is free,
   * expired, already held by `holder`, or held by `stealFrom` (a holder known to be dead).
   */
  acquireLease(
    name: string,
    holder: string,
    ttlMs: number,
    now: number,
    stealFrom?: string,
  ): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  getLease(name: string): Promise<{ holder: string; expiresAt: number } | undefined>;

  /**
   * Claims the due pending deliveries of `channels` (next attempt reached, not claimed by a live
   * claim): a digest's open group is fixed into one batch here. Oldest first.
   */
  claimOutbox(claim: OutboxClaim): Promise<OutboxDelivery[]>;
  markOutboxDelivered(ids: string[], at: number): Promise<void>;
  /** Counts a failed attempt and schedules the next one. */
  retryOutboxLater(ids: string[], nextAttemptAt: number, error: string): Promise<void>;
  /** Releases the claim and moves the next attempt without counting one (circuit open, shutdown). */
  postponeOutbox(ids: string[], until: number): Promise<void>;
  /** Counts a failed attempt and gives up: `reviveOutbox` makes it pending again. */
  markOutboxDead(ids: string[], error: string): Promise<void>;
  /** Oldest first. */
  listOutbox(filter: OutboxFilter): Promise<OutboxDelivery[]>;
  /** Dead deliveries (these ids, or all when absent) become pending with no attempts, due at `now`. */
  reviveOutbox(ids: string[] | undefined, now: number, audit?: AuditDraft[]): Promise<number>;
  /** How many deliveries per channel and status (the backlog). */
  outboxCounts(): Promise<Array<{ channel: string; status: OutboxStatus; count: number }>>;
  /** The earliest next attempt of a pending delivery of `channels`, if any. */
  nextOutboxAttempt(channels: string[]): Promise<number | undefined>;

  /** Stores a new API token; a name already used is a TANDEM_ERR_INVALID_REQUEST. */
  putToken(token: TokenRecord, audit?: AuditDraft[]): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRecord | undefined>;
  /** Oldest first, revoked ones included. */
  listTokens(): Promise<TokenRecord[]>;
  /**
   * Revokes the token with this id or name; false when there is none (or it was revoked already), and
   * then `audit` is not written either.
   */
  revokeToken(idOrName: string, at: number, audit?: AuditDraft[]): Promise<boolean>;
  /**
   * The audit trail (src/audit/). Every `audit` argument above is chained and written in the same
   * transaction as its change; `appendAudit` writes entries on their own, in one transaction.
   */
  appendAudit(drafts: AuditDraft[]): Promise<AuditEntry[]>;
  /** Oldest first; with `limit`, the newest `limit` matching entries. */
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;
  /** Every entry, oldest first (for verification). */
  allAudit(): Promise<AuditEntry[]>;
  /** The head recorded beside the log (the last entry written), if any entry was. */
  auditHead(): Promise<AuditHead | undefined>;
}
