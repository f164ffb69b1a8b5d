import type { AuditDraft } from "../../audit/types.js";
import { CasConflictError, NotFoundError, ReleaseExistsError, TandemError } from "../../core/errors.js";
import {
  type RegistryEntry,
  type ReleaseCommand,
  type ReleaseState,
  type TandemEvent,
  TERMINAL_STATUSES,
} from "../../core/types.js";
import {
  type CommandRow,
  commandFromRow,
  type EventRow,
  eventFromRow,
  releaseFromRows,
} from "../sqlite-rows.js";
import type { EventFilter, LeaseClaim, OutboxRouting, ReleaseFilter, ReleaseWrite } from "../types.js";
import { insertAudit } from "./audit.js";
import type { PostgresConnection, Sql } from "./connection.js";
import { insertEvents } from "./events.js";
import { acquireLeaseIn } from "./leases.js";
import { applyInstanceChanges } from "./registry.js";

/** Releases, their rollout rows, events and commands: the part of the store a reconcile pass writes. */

export async function createRelease(
  connection: PostgresConnection,
  release: ReleaseState,
  events: TandemEvent[],
  outbox?: OutboxRouting,
  audit?: AuditDraft[],
  lease?: LeaseClaim,
): Promise<void> {
  if (release.revision !== 0) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `a new release must have revision 0, release ${release.id} has ${release.revision}`,
    );
  }
  const seqs = await connection.transaction(async (sql) => {
    const inserted = await sql.query(
      `INSERT INTO releases (id, project, environment, status, revision, created_at, updated_at, state)
       VALUES ($1, $2, $3, $4, 0, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
      [
        release.id,
        release.project,
        release.environment,
        release.status,
        release.createdAt,
        release.updatedAt,
        headerJson(release, 0),
      ],
    );
    if (inserted.rowCount === 0) {
      throw new ReleaseExistsError(`release ${release.id} already exists`, {
        hint: "release ids must be unique; create the release under a new id",
      });
    }
    if (release.services !== undefined) {
      await sql.query("INSERT INTO release_services (release_id, services) VALUES ($1, $2)", [
        release.id,
        JSON.stringify(release.services),
      ]);
    }
    await writeAllRollouts(sql, release);
    const assigned = await insertEvents(sql, events, outbox);
    await insertAudit(sql, audit);
    if (lease && !(await acquireLeaseIn(sql, lease.name, lease.holder, lease.ttlMs, lease.now))) {
      throw new TandemError("TANDEM_ERR_LEASE", `${lease.name} is already held by another engine`, {
        hint: "nothing was created; retry",
      });
    }
    return assigned;
  });
  assignSeqs(events, seqs);
}

export async function releaseRevision(sql: Sql, id: string): Promise<number | undefined> {
  const result = await sql.query<{ revision: number }>("SELECT revision FROM releases WHERE id = $1", [id]);
  return result.rows[0]?.revision;
}

export async function getRelease(sql: Sql, id: string): Promise<ReleaseState | undefined> {
  const result = await sql.query<ReleaseRowWithId>("SELECT id, revision, state FROM releases WHERE id = $1", [
    id,
  ]);
  const [release] = await assemble(sql, result.rows);
  return release;
}

interface ReleaseRowWithId {
  id: string;
  revision: number;
  state: string;
}

/** Each release row with its services' configuration and rollout rows (in release order): two reads for all. */
async function assemble(sql: Sql, rows: readonly ReleaseRowWithId[]): Promise<ReleaseState[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [services, rollouts] = await Promise.all([
    sql.query<{ release_id: string; services: string }>(
      "SELECT release_id, services FROM release_services WHERE release_id = ANY($1::text[])",
      [ids],
    ),
    sql.query<{ release_id: string; state: string }>(
      "SELECT release_id, state FROM rollouts WHERE release_id = ANY($1::text[]) ORDER BY release_id, position",
      [ids],
    ),
  ]);
  const servicesOf = new Map(services.rows.map((row) => [row.release_id, row.services]));
  const rolloutsOf = new Map<string, string[]>();
  for (const row of rollouts.rows) {
    const list = rolloutsOf.get(row.release_id);
    if (list) list.push(row.state);
    else rolloutsOf.set(row.release_id, [row.state]);
  }
  return rows.map((row) => releaseFromRows(row, servicesOf.get(row.id), rolloutsOf.get(row.id) ?? []));
}

/** Newest first (creation time, then insertion order). An empty `statuses` list does not filter. */
export async function listReleases(sql: Sql, filter: ReleaseFilter): Promise<ReleaseState[]> {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions = [`r.project = ${param(filter.project)}`];
  if (filter.environment !== undefined) conditions.push(`r.environment = ${param(filter.environment)}`);
  if (filter.service !== undefined) {
    conditions.push(
      `EXISTS (SELECT 1 FROM rollouts o WHERE o.release_id = r.id AND o.service = ${param(filter.service)})`,
    );
  }
  if (filter.active) conditions.push(`NOT (r.status = ANY(${param([...TERMINAL_STATUSES])}::text[]))`);
  if (filter.statuses && filter.statuses.length > 0) {
    conditions.push(`r.status = ANY(${param(filter.statuses)}::text[])`);
  }
  if (filter.before !== undefined) {
    conditions.push(
      `(r.created_at, r.ord) < (SELECT b.created_at, b.ord FROM releases b WHERE b.id = ${param(filter.before)})`,
    );
  }
  const limit = filter.limit === undefined || filter.limit < 0 ? "" : ` LIMIT ${param(filter.limit)}`;
  const result = await sql.query<ReleaseRowWithId>(
    `SELECT r.id, r.revision, r.state FROM releases r WHERE ${conditions.join(" AND ")}
     ORDER BY r.created_at DESC, r.ord DESC${limit}`,
    params,
  );
  return assemble(sql, result.rows);
}

/**
 * The CAS write of one reconcile pass, in one transaction: the release row (only if its stored
 * revision is still `expectedRevision`: a conditional UPDATE, which waits for a concurrent writer of
 * the row and then sees its revision), its changed rollout rows, events, consumed commands, registry
 * entries, audit entries and instance records. On a conflict nothing is written.
 */
export async function writeRelease(
  connection: PostgresConnection,
  write: ReleaseWrite,
  outbox?: OutboxRouting,
): Promise<void> {
  const { release, expectedRevision } = write;
  const events = write.events ?? [];
  const newRevision = expectedRevision + 1;
  const seqs = await connection.transaction(async (sql) => {
    const updated = await sql.query(
      `UPDATE releases SET project = $1, environment = $2, status = $3, revision = $4, updated_at = $5, state = $6
       WHERE id = $7 AND revision = $8`,
      [
        release.project,
        release.environment,
        release.status,
        newRevision,
        release.updatedAt,
        headerJson(release, newRevision),
        release.id,
        expectedRevision,
      ],
    );
    if (updated.rowCount === 0) {
      throw new CasConflictError(
        `release ${release.id}`,
        expectedRevision,
        await releaseRevision(sql, release.id),
      );
    }
    if (write.changedRollouts === undefined) await writeAllRollouts(sql, release);
    else await writeChangedRollouts(sql, release, write.changedRollouts);
    const assigned = await insertEvents(sql, events, outbox);
    await consumeCommands(sql, release.id, write.consumedCommands ?? [], release.updatedAt);
    await insertRegistryEntries(sql, write.registry ?? []);
    await insertAudit(sql, write.audit);
    if (write.instances) await applyInstanceChanges(sql, write.instances);
    return assigned;
  });
  release.revision = newRevision;
  assignSeqs(events, seqs);
}

/** Appends events in one transaction and sets each event's `seq`. */
export async function appendEvents(
  connection: PostgresConnection,
  events: TandemEvent[],
  outbox?: OutboxRouting,
): Promise<void> {
  if (events.length === 0) return;
  const seqs = await connection.transaction((sql) => insertEvents(sql, events, outbox));
  assignSeqs(events, seqs);
}

/** Ascending by seq. */
export async function listEvents(sql: Sql, filter: EventFilter): Promise<TandemEvent[]> {
  const params: unknown[] = [filter.afterSeq ?? 0];
  const conditions = ["seq > $1"];
  if (filter.releaseId !== undefined) {
    params.push(filter.releaseId);
    conditions.push(`release_id = $${params.length}`);
  }
  if (filter.project !== undefined) {
    params.push(filter.project);
    conditions.push(`project = $${params.length}`);
  }
  let limit = "";
  if (filter.limit !== undefined && filter.limit >= 0) {
    params.push(filter.limit);
    limit = ` LIMIT $${params.length}`;
  }
  const result = await sql.query<EventRow>(
    `SELECT * FROM events WHERE ${conditions.join(" AND ")} ORDER BY seq ASC${limit}`,
    params,
  );
  return result.rows.map(eventFromRow);
}

export async function addCommand(
  connection: PostgresConnection,
  command: ReleaseCommand,
  audit?: AuditDraft[],
): Promise<void> {
  await connection.transaction(async (sql) => {
    const release = await sql.query("SELECT 1 FROM releases WHERE id = $1", [command.releaseId]);
    if (release.rowCount === 0) {
      throw new NotFoundError(`release ${command.releaseId}`, "`tandem history` lists the releases");
    }
    await sql.query(
      `INSERT INTO commands (id, release_id, service, type, actor, reason, created_at, consumed_at,
         token_id, token_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
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
      ],
    );
    await insertAudit(sql, audit);
  });
}

/** Unconsumed commands of a release, oldest first. */
export async function pendingCommands(sql: Sql, releaseId: string): Promise<ReleaseCommand[]> {
  const result = await sql.query<CommandRow>(
    `SELECT id, release_id, service, type, actor, reason, created_at, consumed_at, token_id, token_name
     FROM commands WHERE release_id = $1 AND consumed_at IS NULL ORDER BY created_at ASC, ord ASC`,
    [releaseId],
  );
  return result.rows.map(commandFromRow);
}

/** The release's own fields, as stored in its row: rollouts and services have their own rows. */
function headerJson(release: ReleaseState, revision: number): string {
  const { rollouts: _rollouts, services: _services, ...header } = release;
  return JSON.stringify({ ...header, revision });
}

/** Rewrites every rollout row of a release (one per rollout, in release order), in two statements. */
async function writeAllRollouts(sql: Sql, release: ReleaseState): Promise<void> {
  await sql.query("DELETE FROM rollouts WHERE release_id = $1", [release.id]);
  if (release.rollouts.length === 0) return;
  await sql.query(
    `INSERT INTO rollouts (release_id, service, position, version, stable_version, status, state)
     SELECT $1, u.service, u.n - 1, u.version, u.stable_version, u.status, u.state
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
       WITH ORDINALITY AS u(service, version, stable_version, status, state, n)`,
    [release.id, ...rolloutColumns(release.rollouts)],
  );
}

function rolloutColumns(rollouts: ReleaseState["rollouts"]): unknown[][] {
  return [
    rollouts.map((r) => r.service),
    rollouts.map((r) => r.version),
    rollouts.map((r) => r.stableVersion),
    rollouts.map((r) => r.status),
    rollouts.map((r) => JSON.stringify(r)),
  ];
}

/** Rewrites the rows of these services' rollouts only (one statement); each must be a stored rollout. */
async function writeChangedRollouts(
  sql: Sql,
  release: ReleaseState,
  services: readonly string[],
): Promise<void> {
  if (services.length === 0) return;
  const byService = new Map(release.rollouts.map((rollout) => [rollout.service, rollout]));
  const missing = services.find((service) => !byService.has(service));
  if (missing !== undefined) throw notARollout(release, missing, "written");
  const unique = [...new Set(services)];
  const rollouts = unique.map((service) => byService.get(service) as ReleaseState["rollouts"][number]);
  const updated = await sql.query<{ service: string }>(
    `UPDATE rollouts SET version = u.version, stable_version = u.stable_version, status = u.status,
       state = u.state
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
       AS u(service, version, stable_version, status, state)
     WHERE rollouts.release_id = $1 AND rollouts.service = u.service
     RETURNING rollouts.service`,
    [release.id, ...rolloutColumns(rollouts)],
  );
  if (updated.rows.length !== unique.length) {
    const written = new Set(updated.rows.map((row) => row.service));
    throw notARollout(release, unique.find((service) => !written.has(service)) ?? "", "stored");
  }
}

function notARollout(release: ReleaseState, service: string, which: "stored" | "written"): TandemError {
  return new TandemError(
    "TANDEM_ERR_INVALID_REQUEST",
    `release ${release.id}: changed rollout ${service} is not a rollout of the ${which} release`,
    { hint: "a write that adds or removes rollouts leaves changedRollouts out (every rollout is written)" },
  );
}

/** Only commands of this release that are still pending; other ids are ignored. */
async function consumeCommands(sql: Sql, releaseId: string, ids: string[], at: number): Promise<void> {
  if (ids.length === 0) return;
  await sql.query(
    "UPDATE commands SET consumed_at = $1 WHERE id = ANY($2::text[]) AND release_id = $3 AND consumed_at IS NULL",
    [at, ids, releaseId],
  );
}

async function insertRegistryEntries(sql: Sql, entries: RegistryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await sql.query(
    `INSERT INTO registry (project, environment, service, version, release_id, at)
     SELECT u.project, u.environment, u.service, u.version, u.release_id, u.at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) WITH ORDINALITY
       AS u(project, environment, service, version, release_id, at, n) ORDER BY u.n`,
    [
      entries.map((e) => e.project),
      entries.map((e) => e.environment),
      entries.map((e) => e.service),
      entries.map((e) => e.version),
      entries.map((e) => e.releaseId),
      entries.map((e) => e.at),
    ],
  );
}

/** Seqs are set on the caller's events only once the transaction has committed. */
function assignSeqs(events: TandemEvent[], seqs: number[]): void {
  events.forEach((event, index) => {
    event.seq = seqs[index];
  });
}
