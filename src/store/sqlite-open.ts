import { copyFileSync, existsSync, mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";

/** An open database, and the temporary copy it reads when the file itself could not be read in place. */
export interface OpenedDatabase {
  db: Database.Database;
  /** The directory of the copy (removed by `closeDatabase`), when one was made. */
  snapshotDir?: string;
  /** Why the copy is read instead of the file: a read-only location, or a full disk. */
  reason?: "readonly" | "full";
}

/**
 * SQLite reads a WAL-mode file through its `-shm` beside it; in a directory this user cannot write, with
 * no `-shm` left there (the last writer removes it), SQLite refuses even to read
 * (SQLITE_READONLY_DIRECTORY / _CANTINIT). These codes say so.
 */
const CANNOT_READ_IN_PLACE = /^SQLITE_(READONLY_DIRECTORY|READONLY_CANTINIT|READONLY_RECOVERY|CANTOPEN)/;

/**
 * Opens `file`. A file SQLite cannot read in place is copied, with its `-wal`, into a temporary directory
 * and that copy is opened read-only: a snapshot of the store as it is now. That happens read-only in a
 * read-only directory or mount (nobody can change the file there anyway), and on a full disk, where
 * SQLite cannot create the `-shm` it reads through (`reason: "full"`: writes fail, as they would).
 */
export function openDatabase(file: string, options: { readonly: boolean; timeout: number }): OpenedDatabase {
  const db = new Database(file, {
    readonly: options.readonly,
    timeout: options.timeout,
    fileMustExist: options.readonly,
  });
  let reason: OpenedDatabase["reason"];
  try {
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return { db };
  } catch (error) {
    db.close();
    const code = String((error as { code?: unknown }).code ?? "");
    if (options.readonly && CANNOT_READ_IN_PLACE.test(code)) reason = "readonly";
    else if (/^SQLITE_(IOERR|FULL)/.test(code) && existsSync(file) && diskFull(file)) reason = "full";
    else throw error;
    try {
      return { ...snapshot(file, options.timeout), reason };
    } catch {
      throw error;
    }
  }
}

function snapshot(file: string, timeout: number): { db: Database.Database; snapshotDir: string } {
  const snapshotDir = mkdtempSync(join(tmpdir(), "tandem-readonly-store-"));
  try {
    const copy = join(snapshotDir, "tandem.db");
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    return { db: new Database(copy, { readonly: true, timeout }), snapshotDir };
  } catch (error) {
    rmSync(snapshotDir, { recursive: true, force: true });
    throw error;
  }
}

/** Whether the file system holding `file` has (almost) no space left: less than 64 KiB for this user. */
export function diskFull(file: string): boolean {
  try {
    const stats = statfsSync(dirname(file));
    return stats.bavail * stats.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

export function closeDatabase(opened: OpenedDatabase): void {
  if (opened.db.open) opened.db.close();
  if (opened.snapshotDir) rmSync(opened.snapshotDir, { recursive: true, force: true });
}
