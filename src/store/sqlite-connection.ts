import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { StoreError, TandemError } from "../core/errors.js";
import { assertSound, checkPages, faultOf, writable } from "./sqlite-faults.js";
import { closeDatabase, type OpenedDatabase, openDatabase } from "./sqlite-open.js";

/** How long a writer waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;

export interface ConnectionOptions {
  /** Open read-only: writes fail with TANDEM_ERR_STORE_READONLY. Default: only when the file or its directory is not writable. */
  readonly?: boolean;
  /** Run `PRAGMA quick_check` when opening (TANDEM_ERR_STORE_CORRUPT when it fails). Default true. */
  check?: boolean;
}

/**
 * One better-sqlite3 connection, set up for several processes sharing the file (engine, CLI,
 * router clients): WAL, busy_timeout, foreign keys, synchronous=NORMAL. Caches prepared statements.
 * A file (or directory) this user cannot write is opened read-only, so reads still work (from a copy
 * when SQLite cannot read it in place, sqlite-open.ts); a damaged
 * file is refused at open (quick_check), before anything reads or writes it.
 */
export class SqliteConnection {
  readonly db: Database.Database;
  /** Writes fail: asked for, or the file or its directory is not writable, or the disk is full. */
  readonly readonly: boolean;
  /** Opened from a copy because the disk is full: a write fails as TANDEM_ERR_STORE_FULL. */
  readonly full: boolean;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly opened: OpenedDatabase;

  constructor(
    readonly file: string,
    options: ConnectionOptions = {},
  ) {
    const memory = file === ":memory:";
    if (!memory && !options.readonly) mkdirSync(dirname(file), { recursive: true });
    this.readonly = !memory && (options.readonly === true || !writable(file));
    this.opened = openDatabase(file, { readonly: this.readonly, timeout: BUSY_TIMEOUT_MS });
    this.db = this.opened.db;
    this.full = this.opened.reason === "full";
    if (this.full) this.readonly = true;
    try {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      if (!this.readonly) {
        this.db.pragma("journal_mode = WAL");
        this.db.pragma("synchronous = NORMAL");
      }
      this.db.pragma("foreign_keys = ON");
      if (!memory && options.check !== false) assertSound(file, checkPages(this.db, "quick"));
    } catch (error) {
      closeDatabase(this.opened);
      throw error;
    }
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
    closeDatabase(this.opened);
    this.statements.clear();
  }
}

/** SQLite's answers that say nothing about the file: busy, a constraint, a statement Tandem got wrong. */
const NOT_ABOUT_THE_FILE = /^SQLITE_(BUSY|LOCKED|CONSTRAINT|MISUSE|RANGE|INTERRUPT)/;

/**
 * Runs a store operation, turning driver errors into TandemErrors (TandemErrors pass through): a damaged
 * file, a full disk and a read-only file are named as such (sqlite-faults.ts); when SQLite fails in
 * another way and `connection` is given, a quick_check tells whether damage is the cause.
 */
export function guard<T>(
  operation: string,
  work: () => T,
  where: { file: string; connection?: SqliteConnection },
): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof TandemError) throw error;
    const fault = faultOf(error, where.file, operation, { full: where.connection?.full });
    if (fault) throw fault;
    const code = String((error as { code?: unknown }).code ?? "");
    const db = where.connection?.db;
    if (
      db?.open &&
      where.file !== ":memory:" &&
      code.startsWith("SQLITE_") &&
      !NOT_ABOUT_THE_FILE.test(code)
    ) {
      assertSound(where.file, checkPages(db, "quick"), error);
    }
    const message = error instanceof Error ? error.message : String(error);
    const busy = code === "SQLITE_BUSY";
    throw new StoreError(`store: ${operation} failed: ${message}`, {
      cause: error,
      hint: busy
        ? `another process held the database for more than ${BUSY_TIMEOUT_MS / 1000}s; retry`
        : undefined,
    });
  }
}
