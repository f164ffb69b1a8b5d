import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { StoreError, TandemError } from "../core/errors.js";

/** How long a writer waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * One better-sqlite3 connection, set up for several processes sharing the file (engine, CLI,
 * router clients): WAL, busy_timeout, foreign keys, synchronous=NORMAL. Caches prepared statements.
 */
export class SqliteConnection {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
  }

  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `work` in a BEGIN IMMEDIATE transaction: the write lock is taken up front, so two
   * processes never deadlock upgrading a read lock; the other one waits up to busy_timeout.
   */
  write<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.statements.clear();
  }
}

/** Runs a store operation, turning driver errors into StoreError (TandemErrors pass through). */
export function guard<T>(operation: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof TandemError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const busy = (error as { code?: unknown }).code === "SQLITE_BUSY";
    throw new StoreError(`store: ${operation} failed: ${message}`, {
      cause: error,
      hint: busy
        ? `another process held the database for more than ${BUSY_TIMEOUT_MS / 1000}s; retry`
        : undefined,
    });
  }
}
