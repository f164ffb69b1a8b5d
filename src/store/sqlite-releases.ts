import type { AuditDraft } from "../audit/types.js";
import { CasConflictError, NotFoundError, ReleaseExistsError, TandemError } from "../core/errors.js";
import {
  type RegistryEntry,
  type ReleaseCommand,
  type ReleaseState,
  type RolloutState,
  type TandemEvent,
  TERMINAL_STATUSES,
} from "../core/types.js";
import { insertAudit } from "./sqlite-audit.js";
import { BATCH_ROWS, insertRows } from "./sqlite-batch.js";
import type { SqliteConnection } from "./sqlite-connection.js";
import { insertOutboxRows } from "./sqlite-outbox.js";
import { acquireLease, applyInstanceChanges } from "./sqlite-registry.js";
import {
  type CommandRow,
  commandFromRow,
  EVENT_COLUMNS,
  type EventRow,
  eventFromRow,
  fillEventParams,
  type ReleaseRow,
  releaseFromRows,
} from "./sqlite-rows.js";
import type { EventFilter, LeaseClaim, OutboxRouting, ReleaseFilter, ReleaseWrite } from "./types.js";

/** Releases, their rollout rows, events and commands: the part of the store a reconcile pass writes. */

export function createRelease(
  sql: SqliteConnection,
  release: ReleaseState,
  events: TandemEvent[],
  outbox?: OutboxRouting,
  audit?: AuditDraft[],
  lease?: LeaseClaim,
): void {
  if (release.revision !== 0) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `a new release must have revision 0, release ${release.id} has ${release.revision}`,
    );
  }
  const seqs = sql.write(() => {
    const inserted = sql
      .statement(
        `INSERT INTO releases (id, project, environment, status, revision, created_at, updated_at, state)
         VALUES (?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(
        release.id,
        release.project,
        release.environment,
        release.status,
        release.createdAt,
        release.updatedAt,
        headerJson(release, 0),
      );
    if (inserted.changes === 0) {
      throw new ReleaseExistsError(`release ${release.id} already exists`, {
        hint: "release ids must be unique; create the release under a new id",
      });
    }
    if (release.services !== undefined) {
      sql
        .statement("INSERT INTO release_services (release_id, services) VALUES (?, ?)")
        .run(release.id, JSON.stringify(release.services));
    }
    writeAllRollouts(sql, release);
    const assigned = insertEvents(sql, events, outbox);
    insertAudit(sql, audit);
    if (lease && !acquireLease(sql, lease.name, lease.holder, lease.ttlMs, lease.now)) {
      throw new TandemError("TANDEM_ERR_LEASE", `${lease.name} is already held by another engine`, {
        hint: "nothing was created; retry",
      });
    }
    return assigned;
  });
  assignSeqs(events, seqs);
}

export function releaseRevision(sql: SqliteConnection, id: string): number | undefined {
  return sql.statement("SELECT revision FROM releases WHERE id = ?").pluck().get(id) as number | undefined;
}

export function getRelease(sql: SqliteConnection, id: string): ReleaseState | undefined {
  const row = sql.statement("SELECT id, revision, state FROM releases WHERE id = ?").get(id) as
    | ReleaseRow
    | undefined;
  return row ? assemble(sql, row) : undefined;
}

/** The release row, its services' configuration and its rollout rows (in release order), as one state. */
function assemble(sql: SqliteConnection, row: ReleaseRow): ReleaseState {
  const services = sql
    .statement("SELECT services FROM release_services WHERE release_id = ?")
    .pluck()
    .get(row.id) as string | undefined;
  const rollouts = sql
    .statement("SELECT state FROM rollouts WHERE release_id = ? ORDER BY position")
    .pluck()
    .all(row.id) as string[];
  return releaseFromRows(row, services, rollouts);
}

/** Newest first (creation time, then insertion order). An empty `statuses` list does not filter. */
export function listReleases(sql: SqliteConnection, filter: ReleaseFilter): ReleaseState[] {
  const conditions = ["r.project = ?"];
  const params: unknown[] = [filter.project];
  if (filter.environment !== undefined) {
    conditions.push("r.environment = ?");
    params.push(filter.environment);
  }
  if (filter.service !== undefined) {
    conditions.push("o.service = ?");
    params.push(filter.service);
  }
  if (filter.active) {
    conditions.push(`r.status NOT IN (${placeholders(TERMINAL_STATUSES.length)})`);
    params.push(...TERMINAL_STATUSES);
  }
  if (filter.statuses && filter.statuses.length > 0) {
    conditions.push(`r.status IN (${placeholders(filter.statuses.length)})`);
    params.push(...filter.statuses);
  }
  if (filter.before !== undefined) {
    conditions.push(
      "(r.created_at, r.rowid) < (SELECT b.created_at, b.rowid FROM releases b WHERE b.id = ?)",
    );
    params.push(filter.before);
  }
  params.push(filter.limit ?? -1);
  // By service: driven from rollouts_by_service (CROSS JOIN keeps that order), so the releases of one
  // service are read, not every release of the project probed for it.
  const from =
    filter.service === undefined ? "releases r" : "rollouts o CROSS JOIN releases r ON r.id = o.release_id";
  const rows = sql
    .statement(
      `SELECT r.id, r.revision, r.state FROM ${from} WHERE ${conditions.join(" AND ")}
       ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?`,
    )
    .all(...params) as ReleaseRow[];
  return rows.map((row) => assemble(sql, row));
}

/**
 * The CAS write of one reconcile pass, in one transaction: the release row (only if its stored
 * revision is still `expectedRevision`), its changed rollout rows (all without `changedRollouts`),
 * events, consumed commands, registry entries and instance records. On a conflict nothing is written. On success
 * `write.release.revision` is the new revision.
 */
export function writeRelease(sql: SqliteConnection, write: ReleaseWrite, outbox?: OutboxRouting): void {
  const { release, expectedRevision } = write;
  const events = write.events ?? [];
  const newRevision = expectedRevision + 1;
  const seqs = sql.write(() => {
    const updated = sql
      .statement(
        `UPDATE releases SET project = ?, environment = ?, status = ?, revision = ?, updated_at = ?, state = ?
         WHERE id = ? AND revision = ?`,
      )
      .run(
        release.project,
        release.environment,
        release.status,
        newRevision,
        release.updatedAt,
        headerJson(release, newRevision),
        release.id,
        expectedRevision,
      );
    if (updated.changes === 0) {
      const stored = sql.statement("SELECT revision FROM releases WHERE id = ?").pluck().get(release.id) as
        | number
        | undefined;
      throw new CasConflictError(`release ${release.id}`, expectedRevision, stored);
    }
    if (write.changedRollouts === undefined) writeAllRollouts(sql, release);
    else writeChangedRollouts(sql, release, write.changedRollouts);
    const assigned = insertEvents(sql, events, outbox);
    consumeCommands(sql, release.id, write.consumedCommands ?? [], release.updatedAt);
    insertRegistryEntries(sql, write.registry ?? []);
    insertAudit(sql, write.audit);
    if (write.instances) applyInstanceChanges(sql, write.instances);
    return assigned;
  });
  release.revision = newRevision;
  assignSeqs(events, seqs);
}

/** Appends events in one transaction and sets each event's `seq`. */
export function appendEvents(sql: SqliteConnection, events: TandemEvent[], outbox?: OutboxRouting): void {
  if (events.length === 0) return;
  const seqs = sql.write(() => insertEvents(sql, events, outbox));
  assignSeqs(events, seqs);
}

/** Ascending by seq. */
export function listEvents(sql: SqliteConnection, filter: EventFilter): TandemEvent[] {
  const conditions = ["seq > ?"];
  const params: unknown[] = [filter.afterSeq ?? 0];
  if (filter.releaseId !== undefined) {
    conditions.push("release_id = ?");
    params.push(filter.releaseId);
  }
  if (filter.project !== undefined) {
    conditions.push("project = ?");
    params.push(filter.project);
  }
  params.push(filter.limit ?? -1);
  const rows = sql
    .statement(`SELECT * FROM events WHERE ${conditions.join(" AND ")} ORDER BY seq ASC LIMIT ?`)
    .all(...params) as EventRow[];
  return rows.map(eventFromRow);
}

export function addCommand(sql: SqliteConnection, command: ReleaseCommand, audit?: AuditDraft[]): void {
  sql.write(() => {
    const release = sql.statement("SELECT 1 FROM releases WHERE id = ?").get(command.releaseId);
    if (!release) {
      throw new NotFoundError(`release ${command.releaseId}`, "`tandem history` lists the releases");
    }
    sql
      .statement(
        `INSERT INTO commands (id, release_id, service, type, actor, reason, created_at, consumed_at,
           token_id, token_name)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        command.id,
        command.releaseId,
        command.service ?? null,
        command.type,
        command.actor,
        command.reason ?? null,
        command.createdAt,
        command.consumedAt ?? null,
        command.token?.id ?? null,
        command.token?.name ?? null,
      );
    insertAudit(sql, audit);
  });
}

/** Unconsumed commands of a release, oldest first. */
export function pendingCommands(sql: SqliteConnection, releaseId: string): ReleaseCommand[] {
  const rows = sql
    .statement(
      `SELECT * FROM commands WHERE release_id = ? AND consumed_at IS NULL
       ORDER BY created_at ASC, rowid ASC`,
    )
    .all(releaseId) as CommandRow[];
  return rows.map(commandFromRow);
}

/** The release's own fields, as stored in its row: rollouts and services have their own rows. */
function headerJson(release: ReleaseState, revision: number): string {
  const { rollouts: _rollouts, services: _services, ...header } = release;
  return JSON.stringify({ ...header, revision });
}

/** Rewrites every rollout row of a release (one per rollout, in release order). */
function writeAllRollouts(sql: SqliteConnection, release: ReleaseState): void {
  sql.statement("DELETE FROM rollouts WHERE release_id = ?").run(release.id);
  const insert = sql.statement(
    `INSERT INTO rollouts (release_id, service, position, version, stable_version, status, state)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  release.rollouts.forEach((rollout, position) => {
    insert.run(
      release.id,
      rollout.service,
      position,
      rollout.version,
      rollout.stableVersion,
      rollout.status,
      JSON.stringify(rollout),
    );
  });
}

/** Rewrites the rows of these services' rollouts only; each must be a stored rollout of the release. */
function writeChangedRollouts(
  sql: SqliteConnection,
  release: ReleaseState,
  services: readonly string[],
): void {
  if (services.length === 0) return;
  const byService = new Map(release.rollouts.map((rollout) => [rollout.service, rollout]));
  let index = 0;
  // BATCH_ROWS rollouts per UPDATE ... FROM (VALUES ...), each found by its primary key; a batch that
  // did not change as many rows (a service not in the release, or named twice) is redone row by row,
  // which writes the same and names what is wrong.
  if (services.length >= BATCH_ROWS) {
    const tuples = Array.from({ length: BATCH_ROWS }, () => "(?, ?, ?, ?, ?)").join(", ");
    const batch = sql.statement(
      `UPDATE rollouts SET version = v.column2, stable_version = v.column3, status = v.column4,
         state = v.column5
       FROM (VALUES ${tuples}) AS v WHERE rollouts.release_id = ? AND rollouts.service = v.column1`,
    );
    const params = new Array<unknown>(BATCH_ROWS * 5 + 1);
    for (; index + BATCH_ROWS <= services.length; index += BATCH_ROWS) {
      const chunk = services.slice(index, index + BATCH_ROWS);
      const complete = chunk.every((service, row) => {
        const rollout = byService.get(service);
        if (!rollout) return false;
        const offset = row * 5;
        params[offset] = service;
        params[offset + 1] = rollout.version;
        params[offset + 2] = rollout.stableVersion;
        params[offset + 3] = rollout.status;
        params[offset + 4] = JSON.stringify(rollout);
        return true;
      });
      params[BATCH_ROWS * 5] = release.id;
      if (!complete || batch.run(params).changes !== BATCH_ROWS)
        updateRollouts(sql, release, byService, chunk);
    }
  }
  updateRollouts(sql, release, byService, services.slice(index));
}

function updateRollouts(
  sql: SqliteConnection,
  release: ReleaseState,
  byService: ReadonlyMap<string, RolloutState>,
  services: readonly string[],
): void {
  const update = sql.statement(
    `UPDATE rollouts SET version = ?, stable_version = ?, status = ?, state = ?
     WHERE release_id = ? AND service = ?`,
  );
  for (const service of services) {
    const rollout = byService.get(service);
    const written =
      rollout &&
      update.run(
        rollout.version,
        rollout.stableVersion,
        rollout.status,
        JSON.stringify(rollout),
        release.id,
        service,
      ).changes > 0;
    if (!written) {
      throw new TandemError(
        "TANDEM_ERR_INVALID_REQUEST",
        `release ${release.id}: changed rollout ${service} is not a rollout of the ${rollout ? "stored" : "written"} release`,
        {
          hint: "a write that adds or removes rollouts leaves changedRollouts out (every rollout is written)",
        },
      );
    }
  }
}

/** Inserts the events and, in the same transaction, their outbox rows. */
function insertEvents(sql: SqliteConnection, events: TandemEvent[], outbox?: OutboxRouting): number[] {
  const seqs = insertRows(sql, "events", EVENT_COLUMNS, events.length, (index, params, offset) =>
    fillEventParams(events[index] as TandemEvent, params, offset),
  );
  insertOutboxRows(sql, events, seqs, outbox);
  return seqs;
}

/** Only commands of this release that are still pending; other ids are ignored. */
function consumeCommands(sql: SqliteConnection, releaseId: string, ids: string[], at: number): void {
  const consume = sql.statement(
    "UPDATE commands SET consumed_at = ? WHERE id = ? AND release_id = ? AND consumed_at IS NULL",
  );
  for (const id of ids) consume.run(at, id, releaseId);
}

const REGISTRY_COLUMNS = ["project", "environment", "service", "version", "release_id", "at"];

function insertRegistryEntries(sql: SqliteConnection, entries: RegistryEntry[]): void {
  insertRows(sql, "registry", REGISTRY_COLUMNS, entries.length, (index, params, offset) => {
    const entry = entries[index] as RegistryEntry;
    params[offset] = entry.project;
    params[offset + 1] = entry.environment;
    params[offset + 2] = entry.service;
    params[offset + 3] = entry.version;
    params[offset + 4] = entry.releaseId;
    params[offset + 5] = entry.at;
  });
}

/** Seqs are set on the caller's events only once the transaction has committed. */
function assignSeqs(events: TandemEvent[], seqs: number[]): void {
  events.forEach((event, index) => {
    event.seq = seqs[index];
  });
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}
