import { randomUUID } from "node:crypto";
import type { TandemEvent } from "../../core/types.js";
import { FINAL_EVENTS, MAX_ERROR_LENGTH, stableId } from "../sqlite-outbox.js";
import { type EventRow, eventFromRow } from "../sqlite-rows.js";
import type { OutboxClaim, OutboxDelivery, OutboxFilter, OutboxRouting, OutboxStatus } from "../types.js";
import { lock, type PostgresConnection, type Sql } from "./connection.js";

/** The notification outbox: rows written with their events, and their delivery (as sqlite-outbox.ts). */

interface OutboxRow {
  id: string;
  channel: string;
  event_seq: number;
  release_id: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
  digest_group: string | null;
  batch: string | null;
}

type JoinedRow = OutboxRow & Omit<EventRow, "seq">;

const JOINED = `SELECT o.id, o.channel, o.event_seq, o.release_id, o.status, o.attempts, o.next_attempt_at,
  o.last_error, o.created_at, o.delivered_at, o.digest_group, o.batch,
  e.at, e.project, e.environment, e.service, e.type, e.severity, e.message, e.data
  FROM outbox o JOIN events e ON e.seq = o.event_seq`;

/**
 * Inside the caller's transaction: one row per (event, channel) the routing sends it to. A digest row
 * joins its channel's open group for the release; a release's final event makes the whole open group
 * due at once. Digest groups are read and changed under the outbox lock, as claims fix them.
 */
export async function insertOutboxRows(
  sql: Sql,
  events: readonly TandemEvent[],
  seqs: readonly number[],
  routing: OutboxRouting | undefined,
): Promise<void> {
  if (!routing) return;
  const rows: unknown[][] = [[], [], [], [], [], [], []];
  const push = (...values: unknown[]) => {
    values.forEach((value, column) => {
      (rows[column] as unknown[]).push(value);
    });
  };
  let locked = false;
  for (const [index, event] of events.entries()) {
    for (const channel of new Set(routing.route(event))) {
      const digest = routing.digest?.(channel) ?? 0;
      if (digest <= 0) {
        push(randomUUID(), channel, seqs[index], event.releaseId, event.at, event.at, null);
        continue;
      }
      if (!locked) {
        await lock(sql, "outbox");
        locked = true;
      }
      // Rows of this statement not yet inserted count too: flush before reading the open group.
      await flush(sql, rows);
      const group = event.releaseId;
      let next = (await openGroupDue(sql, channel, group)) ?? event.at + digest;
      if (FINAL_EVENTS.has(event.type)) {
        next = Math.min(next, event.at);
        await sql.query(
          `UPDATE outbox SET next_attempt_at = LEAST(next_attempt_at, $1)
           WHERE channel = $2 AND digest_group = $3 AND status = 'pending' AND batch IS NULL`,
          [next, channel, group],
        );
      }
      push(randomUUID(), channel, seqs[index], event.releaseId, next, event.at, group);
    }
  }
  await flush(sql, rows);
}

/** Inserts the gathered rows (one statement, in order) and empties the gathered columns. */
async function flush(sql: Sql, rows: unknown[][]): Promise<void> {
  if ((rows[0] as unknown[]).length === 0) return;
  await sql.query(
    `INSERT INTO outbox (id, channel, event_seq, release_id, status, attempts, next_attempt_at, created_at, digest_group)
     SELECT u.id, u.channel, u.event_seq, u.release_id, 'pending', 0, u.next_attempt_at, u.created_at, u.digest_group
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])
       WITH ORDINALITY AS u(id, channel, event_seq, release_id, next_attempt_at, created_at, digest_group, n)
     ORDER BY u.n`,
    rows,
  );
  for (const column of rows) column.length = 0;
}

async function openGroupDue(sql: Sql, channel: string, group: string): Promise<number | undefined> {
  const result = await sql.query<{ due: number | null }>(
    `SELECT MIN(next_attempt_at) AS due FROM outbox
     WHERE channel = $1 AND digest_group = $2 AND status = 'pending' AND batch IS NULL`,
    [channel, group],
  );
  return result.rows[0]?.due ?? undefined;
}

/**
 * Claims due rows for one holder. Claims are serialized by the outbox lock (so two dispatchers never
 * fix one digest group into two batches), and the due rows are read FOR UPDATE SKIP LOCKED: a row being
 * marked delivered by another dispatcher's transaction right now is left to it.
 */
export async function claimOutbox(
  connection: PostgresConnection,
  claim: OutboxClaim,
): Promise<OutboxDelivery[]> {
  if (claim.channels.length === 0) return [];
  return connection.transaction(async (sql) => {
    await lock(sql, "outbox");
    const due = await sql.query<OutboxRow>(
      `SELECT id, channel, digest_group, batch FROM outbox
       WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $1) AND next_attempt_at <= $1
         AND channel = ANY($2::text[])
       ORDER BY next_attempt_at, created_at, ord LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [claim.now, claim.channels, claim.limit ?? 100],
    );
    const ids = new Set<string>();
    const batches = new Set<string>();
    for (const row of due.rows) {
      if (row.batch !== null) batches.add(row.batch);
      else if (row.digest_group !== null) batches.add(await fixBatch(sql, row.channel, row.digest_group));
      else ids.add(row.id);
    }
    if (batches.size > 0) {
      const mates = await sql.query<{ id: string }>(
        "SELECT id FROM outbox WHERE batch = ANY($1::text[]) AND status = 'pending'",
        [[...batches]],
      );
      for (const row of mates.rows) ids.add(row.id);
    }
    if (ids.size === 0) return [];
    await sql.query("UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id = ANY($3::text[])", [
      claim.holder,
      claim.now + claim.leaseMs,
      [...ids],
    ]);
    return selectDeliveries(sql, [...ids]);
  });
}

/** Fixes a digest's open group into a batch whose id is derived from its row ids (stable over retries). */
async function fixBatch(sql: Sql, channel: string, group: string): Promise<string> {
  const open = await sql.query<{ id: string }>(
    `SELECT id FROM outbox WHERE channel = $1 AND digest_group = $2 AND status = 'pending' AND batch IS NULL`,
    [channel, group],
  );
  const ids = open.rows.map((row) => row.id);
  const batch = stableId(ids);
  await sql.query("UPDATE outbox SET batch = $1 WHERE id = ANY($2::text[])", [batch, ids]);
  return batch;
}

export function markDelivered(connection: PostgresConnection, ids: string[], at: number): Promise<void> {
  return update(
    connection,
    ids,
    "status = 'delivered', delivered_at = $2, claimed_by = NULL, claimed_until = NULL, last_error = NULL",
    [at],
  );
}

export function retryLater(
  connection: PostgresConnection,
  ids: string[],
  nextAttemptAt: number,
  error: string,
): Promise<void> {
  return update(
    connection,
    ids,
    "attempts = attempts + 1, next_attempt_at = $2, last_error = $3, claimed_by = NULL, claimed_until = NULL",
    [nextAttemptAt, shorten(error)],
  );
}

export function postpone(connection: PostgresConnection, ids: string[], until: number): Promise<void> {
  return update(connection, ids, "next_attempt_at = $2, claimed_by = NULL, claimed_until = NULL", [until]);
}

export function markDead(connection: PostgresConnection, ids: string[], error: string): Promise<void> {
  return update(
    connection,
    ids,
    "status = 'dead', attempts = attempts + 1, last_error = $2, claimed_by = NULL, claimed_until = NULL",
    [shorten(error)],
  );
}

/** Only pending rows change: a row another dispatcher already delivered stays delivered. One statement. */
async function update(
  connection: PostgresConnection,
  ids: string[],
  set: string,
  params: unknown[],
): Promise<void> {
  if (ids.length === 0) return;
  await connection.query(`UPDATE outbox SET ${set} WHERE id = ANY($1::text[]) AND status = 'pending'`, [
    ids,
    ...params,
  ]);
}

export async function listOutbox(sql: Sql, filter: OutboxFilter): Promise<OutboxDelivery[]> {
  const params: unknown[] = [];
  const conditions = ["TRUE"];
  if (filter.statuses && filter.statuses.length > 0) {
    params.push(filter.statuses);
    conditions.push(`o.status = ANY($${params.length}::text[])`);
  }
  if (filter.channel !== undefined) {
    params.push(filter.channel);
    conditions.push(`o.channel = $${params.length}`);
  }
  if (filter.releaseId !== undefined) {
    params.push(filter.releaseId);
    conditions.push(`o.release_id = $${params.length}`);
  }
  let limit = "";
  if (filter.limit !== undefined && filter.limit >= 0) {
    params.push(filter.limit);
    limit = ` LIMIT $${params.length}`;
  }
  const result = await sql.query<JoinedRow>(
    `${JOINED} WHERE ${conditions.join(" AND ")} ORDER BY o.created_at, o.event_seq, o.ord${limit}`,
    params,
  );
  return result.rows.map(deliveryFromRow);
}

export async function reviveOutbox(sql: Sql, ids: string[] | undefined, now: number): Promise<number> {
  const set =
    "status = 'pending', attempts = 0, next_attempt_at = $1, claimed_by = NULL, claimed_until = NULL";
  const result =
    ids === undefined
      ? await sql.query(`UPDATE outbox SET ${set} WHERE status = 'dead'`, [now])
      : await sql.query(
          `UPDATE outbox SET ${set} WHERE status = 'dead' AND (id = ANY($2::text[]) OR batch = ANY($2::text[]))`,
          [now, ids],
        );
  return result.rowCount ?? 0;
}

export async function outboxCounts(
  sql: Sql,
): Promise<Array<{ channel: string; status: OutboxStatus; count: number }>> {
  const result = await sql.query<{ channel: string; status: OutboxStatus; count: number }>(
    "SELECT channel, status, COUNT(*) AS count FROM outbox GROUP BY channel, status ORDER BY channel, status",
  );
  return result.rows;
}

export async function nextAttempt(sql: Sql, channels: string[]): Promise<number | undefined> {
  if (channels.length === 0) return undefined;
  const result = await sql.query<{ next: number | null }>(
    "SELECT MIN(next_attempt_at) AS next FROM outbox WHERE status = 'pending' AND channel = ANY($1::text[])",
    [channels],
  );
  return result.rows[0]?.next ?? undefined;
}

async function selectDeliveries(sql: Sql, ids: string[]): Promise<OutboxDelivery[]> {
  const result = await sql.query<JoinedRow>(`${JOINED} WHERE o.id = ANY($1::text[])`, [ids]);
  return result.rows
    .map(deliveryFromRow)
    .sort((a, b) => a.eventSeq - b.eventSeq || a.channel.localeCompare(b.channel));
}

function deliveryFromRow(row: JoinedRow): OutboxDelivery {
  const delivery: OutboxDelivery = {
    id: row.id,
    channel: row.channel,
    eventSeq: row.event_seq,
    releaseId: row.release_id,
    status: row.status as OutboxStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    event: eventFromRow({ ...row, seq: row.event_seq }),
  };
  if (row.last_error !== null) delivery.lastError = row.last_error;
  if (row.delivered_at !== null) delivery.deliveredAt = row.delivered_at;
  if (row.digest_group !== null) delivery.digestGroup = row.digest_group;
  if (row.batch !== null) delivery.batch = row.batch;
  return delivery;
}

function shorten(error: string): string {
  const line = error.replace(/\s+/g, " ").trim();
  return line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH - 1)}…` : line;
}
