import { closeSync, existsSync, openSync, readSync } from "node:fs";
import Database from "better-sqlite3";
import { applyMigrations, MIGRATIONS } from "./migrations.js";
import { BUSY_TIMEOUT_MS } from "./sqlite-connection.js";
import { checkPages } from "./sqlite-faults.js";
import { closeDatabase, openDatabase } from "./sqlite-open.js";

/** One finding of `tandem store check`. */
export interface StoreCheckItem {
  check: "file" | "pages" | "schema";
  ok: boolean;
  detail: string;
}

export interface StoreFileReport {
  file: string;
  /** The file is there, a SQLite database, every page sound and the schema Tandem's. */
  ok: boolean;
  /** False when the file is missing or cannot be opened at all (as opposed to damaged). */
  readable: boolean;
  checks: StoreCheckItem[];
}

const HEADER = "SQLite format 3\u0000";

/**
 * Checks a SQLite store file without writing to it: its header, every page (`quick_check`, or
 * `integrity_check` with `full`), and Tandem's own invariants on the schema: the recorded schema version
 * is one this tandem knows, and every table, index and trigger of that version is there.
 */
export function checkStoreFile(file: string, options: { full?: boolean } = {}): StoreFileReport {
  const checks: StoreCheckItem[] = [];
  const report = (ok: boolean, readable = true): StoreFileReport => ({ file, ok, readable, checks });
  if (!existsSync(file)) {
    checks.push({
      check: "file",
      ok: false,
      detail: `no store at ${file} (it is created by the first write)`,
    });
    return report(false, false);
  }
  let header: string;
  try {
    header = readHeader(file);
  } catch (error) {
    checks.push({ check: "file", ok: false, detail: `cannot read ${file}: ${(error as Error).message}` });
    return report(false, false);
  }
  if (header !== HEADER) {
    checks.push({ check: "file", ok: false, detail: "not a SQLite database (its header is overwritten)" });
    return report(false);
  }
  checks.push({ check: "file", ok: true, detail: "a SQLite database" });

  const opened = openDatabase(file, { readonly: true, timeout: BUSY_TIMEOUT_MS });
  const { db } = opened;
  try {
    const problems = checkPages(db, options.full ? "full" : "quick", 50);
    const how = options.full ? "integrity_check" : "quick_check";
    checks.push(
      problems.length === 0
        ? { check: "pages", ok: true, detail: `${how}: ok` }
        : { check: "pages", ok: false, detail: `${how}: ${problems.join("; ")}` },
    );
    if (problems.length > 0) return report(false);
    const schema = checkSchema(db);
    checks.push(schema);
    return report(schema.ok);
  } finally {
    closeDatabase(opened);
  }
}

function readHeader(file: string): string {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(HEADER.length);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString("latin1");
  } finally {
    closeSync(fd);
  }
}

type SchemaObject = { type: string; name: string };

/** The recorded schema version, and every object of the schema of that version present. */
function checkSchema(db: Database.Database): StoreCheckItem {
  const known = MIGRATIONS.at(-1)?.version ?? 0;
  let applied: number[];
  try {
    applied = db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all() as number[];
  } catch (error) {
    return { check: "schema", ok: false, detail: `no schema_migrations table: ${(error as Error).message}` };
  }
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    return {
      check: "schema",
      ok: false,
      detail: `schema version ${newest} is newer than this tandem knows (${known}): upgrade tandem`,
    };
  }
  const missing = expectedObjects(applied).filter(
    (object) =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?").get(object.type, object.name) ===
      undefined,
  );
  if (missing.length > 0) {
    return {
      check: "schema",
      ok: false,
      detail: `schema version ${newest}, but missing: ${missing.map((o) => `${o.type} ${o.name}`).join(", ")}`,
    };
  }
  const pending = known - newest;
  return {
    check: "schema",
    ok: true,
    detail:
      pending > 0
        ? `schema version ${newest} of ${known} (${pending} migration(s) are applied by the next write)`
        : `schema version ${newest}, every table, index and trigger present`,
  };
}

/** The tables, indexes and triggers the applied migrations create, from a scratch in-memory database. */
function expectedObjects(applied: number[]): SchemaObject[] {
  const scratch = new Database(":memory:");
  try {
    applyMigrations(
      scratch,
      MIGRATIONS.filter((m) => applied.includes(m.version)),
    );
    return scratch
      .prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all() as SchemaObject[];
  } finally {
    scratch.close();
  }
}
