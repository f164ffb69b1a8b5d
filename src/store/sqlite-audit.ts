import { sanitizeDraftWithJson } from "../audit/draft.js";
import { auditHash, GENESIS_HASH } from "../audit/hash.js";
import type { AuditDraft, AuditEntry, AuditFilter, AuditHead, AuditOrigin } from "../audit/types.js";
import { insertRows } from "./sqlite-batch.js";
import type { SqliteConnection } from "./sqlite-connection.js";

const AUDIT_COLUMNS = [
  "seq",
  "prev_hash",
  "hash",
  "at",
  "actor",
  "origin",
  "action",
  "subject",
  "reason",
  "data",
];

/** The audit trail's rows. Call `insertAudit` inside the transaction that writes the change. */

/** An audit entry's row, as both stores return it. */
export interface AuditRow {
  seq: number;
  prev_hash: string;
  hash: string;
  at: number;
  actor: string;
  origin: string;
  action: string;
  subject: string;
  reason: string | null;
  data: string | null;
}

/**
 * Chains the drafts after the current last entry and inserts them, with the head. Must run inside a
 * write transaction (BEGIN IMMEDIATE): the last entry cannot change under it, so two writers never fork
 * the chain.
 */
export function insertAudit(sql: SqliteConnection, drafts: readonly AuditDraft[] | undefined): AuditEntry[] {
  if (!drafts || drafts.length === 0) return [];
  const last = sql.statement("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").get() as
    | { seq: number; hash: string }
    | undefined;
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  // The data as sanitizing serialised it: written as is, not serialised again.
  const dataJson = new Array<string | undefined>(drafts.length);
  const entries = drafts.map((draft, index) => {
    seq += 1;
    const clean = sanitizeDraftWithJson(draft);
    dataJson[index] = clean.dataJson;
    const entry: AuditEntry = { ...clean.draft, seq, prevHash, hash: "" };
    entry.hash = auditHash(entry);
    prevHash = entry.hash;
    return entry;
  });
  insertRows(sql, "audit", AUDIT_COLUMNS, entries.length, (index, params, offset) => {
    const entry = entries[index] as AuditEntry;
    params[offset] = entry.seq;
    params[offset + 1] = entry.prevHash;
    params[offset + 2] = entry.hash;
    params[offset + 3] = entry.at;
    params[offset + 4] = entry.actor;
    params[offset + 5] = entry.origin;
    params[offset + 6] = entry.action;
    params[offset + 7] = entry.subject;
    params[offset + 8] = entry.reason ?? null;
    params[offset + 9] = dataJson[index] ?? null;
  });
  sql
    .statement(
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    )
    .run(seq, prevHash);
  return entries;
}

/** Appends entries on their own (a change that is not a store write, or a later caller's). */
export function appendAudit(sql: SqliteConnection, drafts: readonly AuditDraft[]): AuditEntry[] {
  return sql.write(() => insertAudit(sql, drafts));
}

/** Oldest first; with `limit`, the newest `limit` matching entries. */
export function listAudit(sql: SqliteConnection, filter: AuditFilter = {}): AuditEntry[] {
  const conditions = ["seq > ?"];
  const params: unknown[] = [filter.afterSeq ?? 0];
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    conditions.push(`${column} = ?`);
    params.push(value);
  };
  equal("actor", filter.actor);
  equal("origin", filter.origin);
  equal("subject", filter.subject);
  if (filter.action !== undefined) {
    // `release` matches release.created, release.approve…; `release.approve` matches itself.
    conditions.push("(action = ? OR action LIKE ? ESCAPE '\\')");
    params.push(filter.action, `${filter.action.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`);
  }
  if (filter.beforeSeq !== undefined) {
    conditions.push("seq < ?");
    params.push(filter.beforeSeq);
  }
  if (filter.since !== undefined) {
    conditions.push("at >= ?");
    params.push(filter.since);
  }
  params.push(filter.limit ?? -1);
  const rows = sql
    .statement(
      `SELECT * FROM (SELECT * FROM audit WHERE ${conditions.join(" AND ")} ORDER BY seq DESC LIMIT ?)
       ORDER BY seq ASC`,
    )
    .all(...params) as AuditRow[];
  return rows.map(auditFromRow);
}

/** Every entry, oldest first, one row at a time (for verification of a long log). */
export function* iterateAudit(sql: SqliteConnection): Generator<AuditEntry> {
  for (const row of sql.db.prepare("SELECT * FROM audit ORDER BY seq ASC").iterate()) {
    yield auditFromRow(row as AuditRow);
  }
}

export function auditHead(sql: SqliteConnection): AuditHead | undefined {
  return sql.statement("SELECT seq, hash FROM audit_head WHERE id = 1").get() as AuditHead | undefined;
}

export function auditFromRow(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    prevHash: row.prev_hash,
    hash: row.hash,
    at: row.at,
    actor: row.actor,
    origin: row.origin as AuditOrigin,
    action: row.action,
    subject: row.subject,
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.data === null ? {} : { data: JSON.parse(row.data) as Record<string, unknown> }),
  };
}
