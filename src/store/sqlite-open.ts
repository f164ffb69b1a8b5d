import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

/** An open database, and the temporary copy it reads when the file itself could not be read in place. */
export interface OpenedDatabase {
  db: Database.Database;
  /** The directory of the copy (removed by `closeDatabase`), when one was made. */
  snapshotDir?: string;
}

/**
 * SQLite reads a WAL-mode file through its `-shm` beside it; in a directory this user cannot write, with
 * no `-shm` left there (the last writer removes it), SQLite refuses even to read
 * (SQLITE_READONLY_DIRECTORY / _CANTINIT). These codes say so.
 */
const CANNOT_READ_IN_PLACE = /^SQLITE_(READONLY_DIRECTORY|READONLY_CANTINIT|READONLY_RECOVERY|CANTOPEN)/;

/**
 * Opens `file`. Read-only, a file SQLite cannot read in place (a read-only directory or mount) is copied,
 * with its `-wal`, into a temporary directory and that copy is read: a snapshot of the store as it is
 * now, which nobody can change anyway while the directory stays read-only.
 */
export function openDatabase(file: string, options: { readonly: boolean; timeout: number }): OpenedDatabase {
  const db = new Database(file, {
    readonly: options.readonly,
    timeout: options.timeout,
    fileMustExist: options.readonly,
  });
  if (!options.readonly) return { db };
  try {
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return { db };
  } catch (error) {
    db.close();
    const code = String((error as { code?: unknown }).code ?? "");
    if (!CANNOT_READ_IN_PLACE.test(code)) throw error;
  }
  const snapshotDir = mkdtempSync(join(tmpdir(), "tandem-readonly-store-"));
  try {
    const copy = join(snapshotDir, "tandem.db");
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    return { db: new Database(copy, { readonly: true, timeout: options.timeout }), snapshotDir };
  } catch (error) {
    rmSync(snapshotDir, { recursive: true, force: true });
    throw error;
  }
}

export function closeDatabase(opened: OpenedDatabase): void {
  if (opened.db.open) opened.db.close();
  if (opened.snapshotDir) rmSync(opened.snapshotDir, { recursive: true, force: true });
}
