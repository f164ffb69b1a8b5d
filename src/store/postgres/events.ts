import type { TandemEvent } from "../../core/types.js";
import { EVENT_COLUMNS, fillEventParams } from "../sqlite-rows.js";
import type { OutboxRouting } from "../types.js";
import { lock, type Sql } from "./connection.js";
import { insertOutboxRows } from "./outbox.js";

/** Columns of the events table as PostgreSQL types, in EVENT_COLUMNS order (for unnest). */
const EVENT_TYPES = ["bigint", "text", "text", "text", "text", "text", "text", "text", "text"];

/**
 * Inside the caller's transaction: inserts the events (one statement) and their outbox rows; returns
 * each event's seq, in order. Takes the events lock first, so seqs become visible in ascending order
 * (a transaction that drew seq 7 commits before another can draw 8): a reader following `afterSeq`
 * never skips an event committed late.
 */
export async function insertEvents(
  sql: Sql,
  events: readonly TandemEvent[],
  outbox: OutboxRouting | undefined,
): Promise<number[]> {
  if (events.length === 0) return [];
  await lock(sql, "events");
  const columns = EVENT_COLUMNS.map(() => new Array<unknown>(events.length));
  const row = new Array<unknown>(EVENT_COLUMNS.length);
  events.forEach((event, index) => {
    fillEventParams(event, row, 0);
    row.forEach((value, column) => {
      (columns[column] as unknown[])[index] = value;
    });
  });
  const arrays = EVENT_TYPES.map((type, index) => `$${index + 1}::${type}[]`).join(", ");
  const result = await sql.query<{ seq: number }>(
    `INSERT INTO events (${EVENT_COLUMNS.join(", ")})
     SELECT ${EVENT_COLUMNS.map((column) => `u.${column}`).join(", ")}
     FROM unnest(${arrays}) WITH ORDINALITY AS u(${EVENT_COLUMNS.join(", ")}, n) ORDER BY u.n
     RETURNING seq`,
    columns,
  );
  // Rows are inserted in ordinality order, each drawing the next seq: ascending seqs are the events' order.
  const seqs = result.rows.map((r) => r.seq).sort((a, b) => a - b);
  await insertOutboxRows(sql, events, seqs, outbox);
  return seqs;
}
