import { sanitizeDraftWithJson } from "../../audit/draft.js";
import { auditHash, GENESIS_HASH } from "../../audit/hash.js";
import type { AuditDraft, AuditEntry, AuditFilter, AuditHead } from "../../audit/types.js";
import { type AuditRow, auditFromRow } from "../sqlite-audit.js";
import { lock, type PostgresConnection, type Sql } from "./connection.js";

/** The audit trail's rows. Call `insertAudit` inside the transaction that writes the change. */

/**
 * Chains the drafts after the current last entry and inserts them, with the head. Takes the audit lock
 * first, in the caller's transaction (held until it commits): two writers, in this process or any
 * other, never chain after the same entry, so the log stays one chain.
 */
export async function insertAudit(
  sql: Sql,
  drafts: readonly AuditDraft[] | undefined,
): Promise<AuditEntry[]> {
  if (!drafts || drafts.length === 0) return [];
  await lock(sql, "audit");
  const last = await sql.query<{ seq: number; hash: string }>(
    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
  );
  let seq = last.rows[0]?.seq ?? 0;
  let prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
  const dataJson = new Array<string | null>(drafts.length);
  const entries = drafts.map((draft, index) => {
    seq += 1;
    const clean = sanitizeDraftWithJson(draft);
    dataJson[index] = clean.dataJson ?? null;
    const entry: AuditEntry = { ...clean.draft, seq, prevHash, hash: "" };
    entry.hash = auditHash(entry);
    prevHash = entry.hash;
    return entry;
  });
  await insertEntries(
    sql,
    entries.map((entry, index) => ({ entry, data: dataJson[index] ?? null })),
  );
  await sql.query(
    `INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    [seq, prevHash],
  );
  return entries;
}

/** Inserts entries as they are (already chained), with their data as serialised: one statement. */
export async function insertEntries(
  sql: Sql,
  rows: ReadonlyArray<{ entry: AuditEntry; data: string | null }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO audit (seq, prev_hash, hash, at, actor, origin, action, subject, reason, data)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
       $7::text[], $8::text[], $9::text[], $10::text[])`,
    [
      rows.map((r) => r.entry.seq),
      rows.map((r) => r.entry.prevHash),
      rows.map((r) => r.entry.hash),
      rows.map((r) => r.entry.at),
      rows.map((r) => r.entry.actor),
      rows.map((r) => r.entry.origin),
      rows.map((r) => r.entry.action),
      rows.map((r) => r.entry.subject),
      rows.map((r) => r.entry.reason ?? null),
      rows.map((r) => r.data),
    ],
  );
}

/** Appends entries on their own (a change that is not a store write, or a later caller's). */
export function appendAudit(
  connection: PostgresConnection,
  drafts: readonly AuditDraft[],
): Promise<AuditEntry[]> {
  return connection.transaction((sql) => insertAudit(sql, drafts));
}

/** Oldest first; with `limit`, the newest `limit` matching entries. */
export async function listAudit(sql: Sql, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const params: unknown[] = [filter.afterSeq ?? 0];
  const conditions = ["seq > $1"];
  const add = (condition: (mark: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (filter.actor !== undefined) add((m) => `actor = ${m}`, filter.actor);
  if (filter.origin !== undefined) add((m) => `origin = ${m}`, filter.origin);
  if (filter.subject !== undefined) add((m) => `subject = ${m}`, filter.subject);
  if (filter.action !== undefined) {
    // `release` matches release.created, release.approve…; `release.approve` matches itself.
    params.push(filter.action, `${filter.action.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`);
    conditions.push(`(action = $${params.length - 1} OR action LIKE $${params.length} ESCAPE '\\')`);
  }
  if (filter.beforeSeq !== undefined) add((m) => `seq < ${m}`, filter.beforeSeq);
  if (filter.since !== undefined) add((m) => `at >= ${m}`, filter.since);
  let limit = "";
  if (filter.limit !== undefined && filter.limit >= 0) {
    params.push(filter.limit);
    limit = ` LIMIT $${params.length}`;
  }
  const result = await sql.query<AuditRow>(
    `SELECT * FROM (SELECT * FROM audit WHERE ${conditions.join(" AND ")} ORDER BY seq DESC${limit}) AS newest
     ORDER BY seq ASC`,
    params,
  );
  return result.rows.map(auditFromRow);
}

/** Every entry, oldest first, read in pages (a long log is not held twice in memory as rows). */
export async function allAudit(sql: Sql): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  const page = 5_000;
  let after = 0;
  for (;;) {
    const result = await sql.query<AuditRow>("SELECT * FROM audit WHERE seq > $1 ORDER BY seq ASC LIMIT $2", [
      after,
      page,
    ]);
    for (const row of result.rows) entries.push(auditFromRow(row));
    const lastRow = result.rows.at(-1);
    if (result.rows.length < page || !lastRow) return entries;
    after = lastRow.seq;
  }
}

export async function auditHead(sql: Sql): Promise<AuditHead | undefined> {
  const result = await sql.query<AuditHead>("SELECT seq, hash FROM audit_head WHERE id = 1");
  return result.rows[0];
}
