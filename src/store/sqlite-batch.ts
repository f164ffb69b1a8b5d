import type { SqliteConnection } from "./sqlite-connection.js";

/** Rows per multi-row INSERT: a 10,000-rollout pass writes ~50,000 events; one statement per row costs ~30% more. */
export const BATCH_ROWS = 64;

/**
 * Inserts `count` rows into `table` with multi-row INSERTs of BATCH_ROWS (the rest one row per
 * statement); `fill(index, params, offset)` writes row `index`'s values at `params[offset..]`, in
 * `columns` order. Returns each row's rowid. Must run inside a write transaction: the rowids of one
 * statement are then consecutive (nothing else inserts between them), so each is derived from the
 * statement's last one.
 */
export function insertRows(
  sql: SqliteConnection,
  table: string,
  columns: readonly string[],
  count: number,
  fill: (index: number, params: unknown[], offset: number) => void,
): number[] {
  const width = columns.length;
  const head = `INSERT INTO ${table} (${columns.join(", ")}) VALUES `;
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const rowids = new Array<number>(count);
  let index = 0;
  if (count >= BATCH_ROWS) {
    const batch = sql.statement(head + Array.from({ length: BATCH_ROWS }, () => tuple).join(", "));
    const params = new Array<unknown>(BATCH_ROWS * width);
    for (; index + BATCH_ROWS <= count; index += BATCH_ROWS) {
      for (let row = 0; row < BATCH_ROWS; row++) fill(index + row, params, row * width);
      const last = Number(batch.run(params).lastInsertRowid);
      for (let row = 0; row < BATCH_ROWS; row++) rowids[index + row] = last - BATCH_ROWS + 1 + row;
    }
  }
  if (index < count) {
    const single = sql.statement(head + tuple);
    const params = new Array<unknown>(width);
    for (; index < count; index++) {
      fill(index, params, 0);
      rowids[index] = Number(single.run(params).lastInsertRowid);
    }
  }
  return rowids;
}
