import Database from "better-sqlite3";
import { verifyStoredAudit } from "../../audit/store-verify.js";
import type { AuditHead } from "../../audit/types.js";
import { StoreError, TandemError } from "../../core/errors.js";
import { SqliteStore } from "../sqlite.js";
import { allAudit, auditHead } from "./audit.js";
import { lock, PostgresConnection, type Sql } from "./connection.js";
import { applyPgMigrations } from "./migrations.js";

/**
 * `tandem store copy`: a project's whole SQLite history into an empty PostgreSQL store, in one
 * PostgreSQL transaction (all or nothing), then verified: rows per table on both sides, the audit head
 * and the copied audit chain recomputed.
 */

interface TableCopy {
  table: string;
  /** Column name and PostgreSQL type, as both schemas name them. */
  columns: ReadonlyArray<readonly [string, string]>;
  /** SQLite order of the rows: insertion order, which becomes the target's `ord`. */
  order: string;
  /** The target's sequence behind an id that is copied as is: moved past the copied ids. */
  sequence?: { name: string; column: string };
}

const TABLES: readonly TableCopy[] = [
  {
    table: "releases",
    columns: [
      ["id", "text"],
      ["project", "text"],
      ["environment", "text"],
      ["status", "text"],
      ["revision", "bigint"],
      ["created_at", "bigint"],
      ["updated_at", "bigint"],
      ["state", "text"],
    ],
    order: "rowid",
  },
  {
    table: "release_services",
    columns: [
      ["release_id", "text"],
      ["services", "text"],
    ],
    order: "rowid",
  },
  {
    table: "rollouts",
    columns: [
      ["release_id", "text"],
      ["service", "text"],
      ["position", "integer"],
      ["version", "text"],
      ["stable_version", "text"],
      ["status", "text"],
      ["state", "text"],
    ],
    order: "release_id, position",
  },
  {
    table: "events",
    columns: [
      ["seq", "bigint"],
      ["at", "bigint"],
      ["release_id", "text"],
      ["project", "text"],
      ["environment", "text"],
      ["service", "text"],
      ["type", "text"],
      ["severity", "text"],
      ["message", "text"],
      ["data", "text"],
    ],
    order: "seq",
    sequence: { name: "events_seq_seq", column: "seq" },
  },
  {
    table: "commands",
    columns: [
      ["id", "text"],
      ["release_id", "text"],
      ["service", "text"],
      ["type", "text"],
      ["actor", "text"],
      ["reason", "text"],
      ["created_at", "bigint"],
      ["consumed_at", "bigint"],
      ["token_id", "text"],
      ["token_name", "text"],
    ],
    order: "rowid",
  },
  {
    table: "registry",
    columns: [
      ["id", "bigint"],
      ["project", "text"],
      ["environment", "text"],
      ["service", "text"],
      ["version", "text"],
      ["release_id", "text"],
      ["at", "bigint"],
    ],
    order: "id",
    sequence: { name: "registry_id_seq", column: "id" },
  },
  {
    table: "versions",
    columns: [
      ["project", "text"],
      ["service", "text"],
      ["version", "text"],
      ["provides", "text"],
      ["requires", "text"],
      ["published_at", "bigint"],
      ["published_by", "text"],
      ["source", "text"],
    ],
    order: "rowid",
  },
  {
    table: "instances",
    columns: [
      ["id", "text"],
      ["project", "text"],
      ["environment", "text"],
      ["service", "text"],
      ["version", "text"],
      ["host", "text"],
      ["port", "integer"],
      ["pid", "integer"],
      ["started_at", "bigint"],
      ["log_file", "text"],
    ],
    order: "rowid",
  },
  {
    table: "routers",
    columns: [
      ["project", "text"],
      ["environment", "text"],
      ["service", "text"],
      ["pid", "integer"],
      ["listen_host", "text"],
      ["listen_port", "integer"],
      ["admin_port", "integer"],
      ["token", "text"],
      ["started_at", "bigint"],
    ],
    order: "rowid",
  },
  {
    table: "outbox",
    columns: [
      ["id", "text"],
      ["channel", "text"],
      ["event_seq", "bigint"],
      ["release_id", "text"],
      ["status", "text"],
      ["attempts", "integer"],
      ["next_attempt_at", "bigint"],
      ["last_error", "text"],
      ["created_at", "bigint"],
      ["delivered_at", "bigint"],
      ["digest_group", "text"],
      ["batch", "text"],
      ["claimed_by", "text"],
      ["claimed_until", "bigint"],
    ],
    order: "rowid",
  },
  {
    table: "api_tokens",
    columns: [
      ["id", "text"],
      ["name", "text"],
      ["role", "text"],
      ["actor", "text"],
      ["environments", "text"],
      ["hash", "text"],
      ["created_at", "bigint"],
      ["expires_at", "bigint"],
      ["revoked_at", "bigint"],
    ],
    order: "rowid",
  },
  {
    table: "audit",
    columns: [
      ["seq", "bigint"],
      ["prev_hash", "text"],
      ["hash", "text"],
      ["at", "bigint"],
      ["actor", "text"],
      ["origin", "text"],
      ["action", "text"],
      ["subject", "text"],
      ["reason", "text"],
      ["data", "text"],
    ],
    order: "seq",
  },
  {
    table: "audit_head",
    columns: [
      ["id", "integer"],
      ["seq", "bigint"],
      ["hash", "text"],
    ],
    order: "id",
  },
];

/**
 * Tables of the target that must be empty, the copied ones and `leases`. Leases are not copied: they
 * belong to the processes of the old store (stop them before copying); engines on the new store take
 * their own.
 */
const TARGET_TABLES = [...TABLES.map((table) => table.table), "leases"];

/** Rows per INSERT … SELECT FROM unnest(…). */
const PAGE = 2_000;

export interface TableCount {
  table: string;
  source: number;
  target: number;
}

export interface CopyReport {
  /** The target, its password masked. */
  target: string;
  tables: TableCount[];
  /** Leases are not copied (see TARGET_TABLES). */
  skipped: string[];
  audit: { source?: AuditHead; target?: AuditHead; chainVerified: boolean; entries: number };
}

/**
 * Copies the SQLite store `file` (migrated first, as any command would) into the PostgreSQL database
 * at `url` (migrated, and empty: anything in it is a TANDEM_ERR_INVALID_REQUEST naming what), then
 * verifies the copy. A mismatch after the copy is a TANDEM_ERR_STORE.
 */
export async function copySqliteToPostgres(file: string, url: string): Promise<CopyReport> {
  const source = new SqliteStore(file);
  try {
    await source.migrate();
    const problems = await source.checkIntegrity("quick");
    if (problems.length > 0) {
      throw new StoreError(`the store ${file} is damaged: ${problems.slice(0, 3).join("; ")}`, {
        hint: "`tandem store check` says how; nothing was copied",
      });
    }
  } finally {
    await source.close();
  }
  const connection = new PostgresConnection(url, { maxConnections: 2 });
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    await connection.guard("migrate", () => applyPgMigrations(connection));
    // One read transaction on SQLite: every table is read from the same snapshot.
    db.exec("BEGIN");
    const sourceCounts = TABLES.map(({ table }) => ({
      table,
      source: (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n,
    }));
    await connection.guard("copy", () =>
      connection.transaction(async (sql) => {
        await lock(sql, "migrate");
        await assertEmpty(sql, connection.where);
        for (const table of TABLES) await copyTable(db, sql, table);
      }),
    );
    const sourceHead = db.prepare("SELECT seq, hash FROM audit_head WHERE id = 1").get() as
      | AuditHead
      | undefined;
    db.exec("COMMIT");
    return await connection.guard("verify the copy", () =>
      verify(connection, connection.where, sourceCounts, sourceHead),
    );
  } finally {
    db.close();
    await connection.close();
  }
}

async function assertEmpty(sql: Sql, where: string): Promise<void> {
  const counts = await countRows(sql, TARGET_TABLES);
  const filled = counts.filter((count) => count.rows > 0);
  if (filled.length === 0) return;
  throw new TandemError(
    "TANDEM_ERR_INVALID_REQUEST",
    `the target store ${where} is not empty (${filled.map((count) => `${count.rows} ${count.table}`).join(", ")}): nothing was copied`,
    { hint: "copy into a new, empty database (`createdb`); a store is never merged into another" },
  );
}

async function countRows(
  sql: Sql,
  tables: readonly string[],
): Promise<Array<{ table: string; rows: number }>> {
  const result = await sql.query<{ table: string; rows: number }>(
    tables
      .map((table, index) => `SELECT ${index} AS i, '${table}' AS table, COUNT(*) AS rows FROM ${table}`)
      .join(" UNION ALL ") + " ORDER BY i",
  );
  return result.rows.map((row) => ({ table: row.table, rows: row.rows }));
}

/** Copies one table in pages of PAGE rows, in the source's insertion order. */
async function copyTable(db: Database.Database, sql: Sql, spec: TableCopy): Promise<void> {
  const names = spec.columns.map(([name]) => name);
  const arrays = spec.columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(", ");
  const insert = `INSERT INTO ${spec.table} (${names.join(", ")})
    SELECT ${names.map((name) => `u.${name}`).join(", ")}
    FROM unnest(${arrays}) WITH ORDINALITY AS u(${names.join(", ")}, n) ORDER BY u.n`;
  let columns = names.map(() => [] as unknown[]);
  const flush = async () => {
    if ((columns[0] as unknown[]).length === 0) return;
    await sql.query(insert, columns);
    columns = names.map(() => []);
  };
  const rows = db
    .prepare(`SELECT ${names.join(", ")} FROM ${spec.table} ORDER BY ${spec.order}`)
    .raw()
    .iterate();
  for (const row of rows as Iterable<unknown[]>) {
    row.forEach((value, index) => {
      (columns[index] as unknown[]).push(value);
    });
    if ((columns[0] as unknown[]).length >= PAGE) await flush();
  }
  await flush();
  if (spec.sequence) {
    await sql.query(
      `SELECT setval('${spec.sequence.name}', GREATEST(COALESCE((SELECT MAX(${spec.sequence.column}) FROM ${spec.table}), 0), 1),
         (SELECT COUNT(*) > 0 FROM ${spec.table}))`,
    );
  }
}

async function verify(
  connection: PostgresConnection,
  where: string,
  sourceCounts: ReadonlyArray<{ table: string; source: number }>,
  sourceHead: AuditHead | undefined,
): Promise<CopyReport> {
  const targetCounts = await countRows(
    connection,
    sourceCounts.map((count) => count.table),
  );
  const tables = sourceCounts.map((count, index) => ({ ...count, target: targetCounts[index]?.rows ?? 0 }));
  const targetHead = await auditHead(connection);
  const verdict = await verifyStoredAudit({
    allAudit: () => allAudit(connection),
    auditHead: () => auditHead(connection),
  });
  const report: CopyReport = {
    target: where,
    tables,
    skipped: ["leases"],
    audit: { source: sourceHead, target: targetHead, chainVerified: verdict.ok, entries: verdict.count },
  };
  const wrong = tables.filter((count) => count.source !== count.target).map((count) => count.table);
  if (sourceHead?.hash !== targetHead?.hash || sourceHead?.seq !== targetHead?.seq) wrong.push("audit head");
  if (!verdict.ok) wrong.push(`audit chain (${verdict.problem.message})`);
  if (wrong.length > 0) {
    throw new StoreError(`the copy in ${where} does not match the source: ${wrong.join(", ")}`, {
      hint: "drop the target database, create it again and copy again",
    });
  }
  return report;
}
