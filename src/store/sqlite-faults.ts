import { accessSync, constants, existsSync } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { type ErrorCode, TandemError } from "../core/errors.js";
import { diskFull } from "./sqlite-open.js";

/**
 * What can go wrong with the store FILE itself, as opposed to a request: it is damaged, its disk is
 * full, or it cannot be written. Each is a TandemError naming the file and what to do; Tandem never
 * repairs, truncates or deletes the file by itself.
 */
export type StoreFaultKind = "corrupt" | "full" | "readonly";

const CODES: Record<StoreFaultKind, ErrorCode> = {
  corrupt: "TANDEM_ERR_STORE_CORRUPT",
  full: "TANDEM_ERR_STORE_FULL",
  readonly: "TANDEM_ERR_STORE_READONLY",
};

export class StoreFaultError extends TandemError {
  constructor(
    readonly kind: StoreFaultKind,
    readonly file: string,
    message: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(CODES[kind], message, { cause: options.cause, hint: options.hint ?? faultHint(kind, file) });
  }
}

/** What to do about each fault, addressed to the person running tandem. */
export function faultHint(kind: StoreFaultKind, file: string): string {
  switch (kind) {
    case "corrupt":
      return (
        `Tandem changed nothing in it. Stop every tandem process using ${file}, keep a copy of the damaged ` +
        "file, then restore it from your latest backup of that file (Tandem makes none by itself); " +
        "`tandem store check` lists the damage. Without a backup, `sqlite3 FILE .recover` salvages what " +
        "it can into a new file"
      );
    case "full":
      return (
        `free space on the disk that holds ${file} (\`df -h ${file}\`), then retry; ` +
        "the failed write was rolled back, nothing is half-written"
      );
    case "readonly":
      return (
        `make ${file} and its directory writable by this user (\`ls -l ${file}\`; a read-only mount?); ` +
        "reads (status, history, audit, report, registry) still work"
      );
  }
}

const CORRUPT = new Set(["SQLITE_CORRUPT", "SQLITE_NOTADB"]);
const FULL = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT"]);
const READONLY = new Set(["SQLITE_READONLY", "EACCES", "EPERM", "EROFS"]);

/** The family of a driver or file-system error code: SQLITE_CORRUPT_INDEX → SQLITE_CORRUPT. */
function family(code: string): string {
  for (const known of [...CORRUPT, ...FULL, ...READONLY]) {
    if (code === known || code.startsWith(`${known}_`)) return known;
  }
  return code;
}

/**
 * The fault behind a driver error (SQLITE_CORRUPT*, SQLITE_NOTADB, SQLITE_FULL, SQLITE_READONLY*, and
 * the file system's ENOSPC, EACCES, EROFS…), or undefined for anything else (busy, constraint, a bug).
 */
export function faultOf(
  error: unknown,
  file: string,
  operation: string,
  context: { full?: boolean } = {},
): StoreFaultError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") return undefined;
  let kind = family(code);
  // A full disk shows as an I/O error where SQLite cannot create its -shm or extend its -wal; a store
  // opened from a copy because the disk was full refuses writes as read-only.
  if (/^SQLITE_IOERR/.test(code) && existsSync(file) && diskFull(file)) kind = "SQLITE_FULL";
  if (context.full && READONLY.has(kind)) kind = "SQLITE_FULL";
  const detail = error instanceof Error ? error.message : String(error);
  if (CORRUPT.has(kind)) {
    return new StoreFaultError("corrupt", file, `the store ${file} is corrupted (${operation}: ${detail})`, {
      cause: error,
    });
  }
  if (FULL.has(kind)) {
    return new StoreFaultError(
      "full",
      file,
      `the store ${file} cannot grow: the disk is full (${operation}: ${detail})`,
      {
        cause: error,
      },
    );
  }
  if (READONLY.has(kind) || (kind === "SQLITE_CANTOPEN" && !writable(file))) {
    return new StoreFaultError("readonly", file, `the store ${file} is read-only (${operation}: ${detail})`, {
      cause: error,
    });
  }
  return undefined;
}

/**
 * `PRAGMA quick_check` (structure of every page, O(size of the file), no index cross-check) or
 * `integrity_check` (also every index against its table). Returns the problems; empty when the file is
 * sound. A file too damaged to check at all is one problem.
 */
export function checkPages(db: Database.Database, mode: "quick" | "full", limit = 20): string[] {
  try {
    const rows = db.pragma(`${mode === "quick" ? "quick_check" : "integrity_check"}(${limit})`, {
      simple: false,
    }) as Array<Record<string, string>>;
    const problems = rows.map((row) => Object.values(row)[0] ?? "").filter((line) => line !== "ok");
    return problems;
  } catch (error) {
    const code = String((error as { code?: unknown }).code ?? "");
    if (!CORRUPT.has(family(code))) throw error;
    return [error instanceof Error ? error.message : String(error)];
  }
}

/** Throws the corrupt fault when `problems` is not empty. */
export function assertSound(file: string, problems: string[], cause?: unknown): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 3).join("; ");
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
  throw new StoreFaultError("corrupt", file, `the store ${file} is corrupted: ${shown}${more}`, { cause });
}

/** Whether this process may write the file (or create it) and the journal beside it. */
export function writable(file: string): boolean {
  try {
    accessSync(dirname(file), constants.W_OK);
    if (existsSync(file)) accessSync(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
