import { closeSync, openSync, writeSync } from "node:fs";
import Database from "better-sqlite3";

/**
 * For tests: damages a store file the way a disk fault or a stray write would. 3,000 pseudo-random
 * bytes (from `seed`, so every run writes the same ones) are written into the middle of the file
 * across the start of the b-tree page that holds `table`'s rows: the last 1,000 bytes of the page
 * before it and the first 2,000 of that page (its header and cell pointers). Everything is first
 * checkpointed into the main file and no connection is left open. Returns the offset written at.
 */
export function damageStore(file: string, options: { table?: string; seed?: number } = {}): number {
  const table = options.table ?? "events";
  const db = new Database(file, { fileMustExist: true });
  let offset: number;
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const root = db
      .prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?")
      .pluck()
      .get(table) as number | undefined;
    if (!root) throw new Error(`no table ${table} in ${file}`);
    const rows = db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
    if (rows === 0) throw new Error(`table ${table} in ${file} holds no rows to damage`);
    offset = (root - 1) * pageSize - 1000;
  } finally {
    db.close();
  }
  const bytes = pseudoRandomBytes(3000, options.seed ?? 12);
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
  return offset;
}

/** xorshift32: the same bytes for the same seed on every machine. */
function pseudoRandomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}
