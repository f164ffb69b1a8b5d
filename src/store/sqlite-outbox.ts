import { createHash, randomUUID } from "node:crypto";
import type { EventType, TandemEvent } from "../core/types.js";
import type { SqliteConnection } from "./sqlite-connection.js";
import { type EventRow, eventFromRow } from "./sqlite-rows.js";
import type { OutboxClaim, OutboxDelivery, OutboxFilter, OutboxRouting, OutboxStatus } from "./types.js";

/** The notification outbox (table `outbox`, migration 3): rows written with their events, and their delivery. */

/** A release's final events: they flush a digest at once. */
export const FINAL_EVENTS: ReadonlySet<EventType> = new Set([
  "release.succeeded",
  "release.failed",
  "release.rolled_back",
  "release.aborted",
]);

/** The longest last_error kept. */
export const MAX_ERROR_LENGTH = 300;

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

type JoinedRow = OutboxRow & { event_seq: number } & Omit<EventRow, "seq">;

/**
 * Inside the caller's transaction: one row per (event, channel) the routing sends it to. A digest row
 * joins its channel's open group for the release (due when the first row's window ends); a release's
 * final event makes the whole open group due at once.
 */
export function insertOutboxRows(
  sql: SqliteConnection,
  events: TandemEvent[],
  seqs: number[],
  routing: OutboxRouting | undefined,
): void {
  if (!routing) return;
  const insert = sql.statement(
    `INSERT INTO outbox (id, channel, event_seq, release_id, status, attempts, next_attempt_at, created_at, digest_group)
     VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
  );
  events.forEach((event, index) => {
    for (const channel of new Set(routing.route(event))) {
      const digest = routing.digest?.(channel) ?? 0;
      if (digest <= 0) {
        insert.run(randomUUID(), channel, seqs[index], event.releaseId, event.at, event.at, null);
        continue;
      }
      const group = event.releaseId;
      let next = openGroupDue(sql, channel, group) ?? event.at + digest;
      if (FINAL_EVENTS.has(event.type)) {
        next = Math.min(next, event.at);
        sql
          .statement(
            `UPDATE outbox SET next_attempt_at = MIN(next_attempt_at, ?)
             WHERE channel = ? AND digest_group = ? AND status = 'pending' AND batch IS NULL`,
          )
          .run(next, channel, group);
      }
      insert.run(randomUUID(), channel, seqs[index], event.releaseId, next, event.at, group);
    }
  });
}

function openGroupDue(sql: SqliteConnection, channel: string, group: string): number | undefined {
  const due = sql
    .statement(
      `SELECT MIN(next_attempt_at) FROM outbox
       WHERE channel = ? AND digest_group = ? AND status = 'pending' AND batch IS NULL`,
    )
    .pluck()
    .get(channel, group) as number | null;
  return due ?? undefined;
}

export function claimOutbox(sql: SqliteConnection, claim: OutboxClaim): OutboxDelivery[] {
  if (claim.channels.length === 0) return [];
  return sql.write(() => {
    const free = "status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?)";
    const due = sql
      .statement(
        `SELECT * FROM outbox WHERE ${free} AND next_attempt_at <= ? AND channel IN (${marks(claim.channels.length)})
         ORDER BY next_attempt_at, created_at, rowid LIMIT ?`,
      )
      .all(claim.now, claim.now, ...claim.channels, claim.limit ?? 100) as OutboxRow[];
    const ids = new Set<string>();
    const batches = new Set<string>();
    for (const row of due) {
      if (row.batch !== null) batches.add(row.batch);
      else if (row.digest_group !== null) batches.add(fixBatch(sql, row.channel, row.digest_group));
      else ids.add(row.id);
    }
    for (const batch of batches) {
      const mates = sql
        .statement(`SELECT id FROM outbox WHERE batch = ? AND status = 'pending'`)
        .pluck()
        .all(batch) as string[];
      for (const id of mates) ids.add(id);
    }
    const take = sql.statement("UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?");
    for (const id of ids) take.run(claim.holder, claim.now + claim.leaseMs, id);
    return selectDeliveries(sql, [...ids]);
  });
}

/** Fixes a digest's open group into a batch whose id is derived from its row ids (stable over retries). */
function fixBatch(sql: SqliteConnection, channel: string, group: string): string {
  const ids = sql
    .statement(
      `SELECT id FROM outbox WHERE channel = ? AND digest_group = ? AND status = 'pending' AND batch IS NULL`,
    )
    .pluck()
    .all(channel, group) as string[];
  const batch = stableId(ids);
  const set = sql.statement("UPDATE outbox SET batch = ? WHERE id = ?");
  for (const id of ids) set.run(batch, id);
  return batch;
}

/** A UUID-shaped key derived from a set of ids: the same set gives the same key. */
export function stableId(ids: string[]): string {
  const hex = createHash("sha256")
    .update([...ids].sort().join("\n"))
    .digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function markDelivered(sql: SqliteConnection, ids: string[], at: number): void {
  update(
    sql,
    ids,
    `status = 'delivered', delivered_at = ?, claimed_by = NULL, claimed_until = NULL, last_error = NULL`,
    [at],
  );
}

export function retryLater(sql: SqliteConnection, ids: string[], nextAttemptAt: number, error: string): void {
  update(
    sql,
    ids,
    "attempts = attempts + 1, next_attempt_at = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL",
    [nextAttemptAt, shorten(error)],
  );
}

export function postpone(sql: SqliteConnection, ids: string[], until: number): void {
  update(sql, ids, "next_attempt_at = ?, claimed_by = NULL, claimed_until = NULL", [until]);
}

export function markDead(sql: SqliteConnection, ids: string[], error: string): void {
  update(
    sql,
    ids,
    "status = 'dead', attempts = attempts + 1, last_error = ?, claimed_by = NULL, claimed_until = NULL",
    [shorten(error)],
  );
}

/** Only pending rows change: a row another dispatcher already delivered stays delivered. */
function update(sql: SqliteConnection, ids: string[], set: string, params: unknown[]): void {
  if (ids.length === 0) return;
  sql.write(() => {
    const statement = sql.statement(`UPDATE outbox SET ${set} WHERE id = ? AND status = 'pending'`);
    for (const id of ids) statement.run(...params, id);
  });
}

export function listOutbox(sql: SqliteConnection, filter: OutboxFilter): OutboxDelivery[] {
  const conditions = ["1 = 1"];
  const params: unknown[] = [];
  if (filter.statuses && filter.statuses.length > 0) {
    conditions.push(`o.status IN (${marks(filter.statuses.length)})`);
    params.push(...filter.statuses);
  }
  if (filter.channel !== undefined) {
    conditions.push("o.channel = ?");
    params.push(filter.channel);
  }
  if (filter.releaseId !== undefined) {
    conditions.push("o.release_id = ?");
    params.push(filter.releaseId);
  }
  params.push(filter.limit ?? -1);
  const rows = sql
    .statement(
      `SELECT o.*, e.at, e.project, e.environment, e.service, e.type, e.severity, e.message, e.data
       FROM outbox o JOIN events e ON e.seq = o.event_seq
       WHERE ${conditions.join(" AND ")} ORDER BY o.created_at, o.event_seq, o.rowid LIMIT ?`,
    )
    .all(...params) as JoinedRow[];
  return rows.map(deliveryFromRow);
}

export function reviveOutbox(sql: SqliteConnection, ids: string[] | undefined, now: number): number {
  return sql.write(() => {
    const set = `status = 'pending', attempts = 0, next_attempt_at = ?, claimed_by = NULL, claimed_until = NULL`;
    if (ids === undefined) {
      return sql.statement(`UPDATE outbox SET ${set} WHERE status = 'dead'`).run(now).changes;
    }
    const statement = sql.statement(
      `UPDATE outbox SET ${set} WHERE status = 'dead' AND (id = ? OR batch = ?)`,
    );
    return ids.reduce((total, id) => total + statement.run(now, id, id).changes, 0);
  });
}

export function outboxCounts(
  sql: SqliteConnection,
): Array<{ channel: string; status: OutboxStatus; count: number }> {
  return sql
    .statement(
      "SELECT channel, status, COUNT(*) AS count FROM outbox GROUP BY channel, status ORDER BY channel, status",
    )
    .all() as Array<{ channel: string; status: OutboxStatus; count: number }>;
}

export function nextAttempt(sql: SqliteConnection, channels: string[]): number | undefined {
  if (channels.length === 0) return undefined;
  const next = sql
    .statement(
      `SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending' AND channel IN (${marks(channels.length)})`,
    )
    .pluck()
    .get(...channels) as number | null;
  return next ?? undefined;
}

function selectDeliveries(sql: SqliteConnection, ids: string[]): OutboxDelivery[] {
  const select = sql.statement(
    `SELECT o.*, e.at, e.project, e.environment, e.service, e.type, e.severity, e.message, e.data
     FROM outbox o JOIN events e ON e.seq = o.event_seq WHERE o.id = ?`,
  );
  return ids
    .map((id) => deliveryFromRow(select.get(id) as JoinedRow))
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

function marks(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}
