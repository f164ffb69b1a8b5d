import type { Sql } from "./connection.js";

/**
 * Named leases. Each row carries an `epoch` drawn from the lease_epochs sequence whenever the holder
 * changes (a renewal keeps it): it only grows, so it can fence a holder that lost its lease.
 */

/**
 * One conditional upsert: the row is written only when the lease is free, expired (expires_at <= now),
 * already held by `holder`, or held by `stealFrom`. A concurrent taker of the same row waits for this
 * one's row lock, then sees the new holder.
 */
export async function acquireLeaseIn(
  sql: Sql,
  name: string,
  holder: string,
  ttlMs: number,
  now: number,
  stealFrom?: string,
): Promise<boolean> {
  const result = await sql.query(
    `INSERT INTO leases (name, holder, expires_at, epoch) VALUES ($1, $2, $3, nextval('lease_epochs'))
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
       epoch = CASE WHEN leases.holder = excluded.holder THEN leases.epoch ELSE excluded.epoch END
     WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder
       OR ($5::text IS NOT NULL AND leases.holder = $5::text)`,
    [name, holder, now + ttlMs, now, stealFrom ?? null],
  );
  return result.rowCount === 1;
}

/** Frees the lease if `holder` holds it; otherwise does nothing. */
export async function releaseLease(sql: Sql, name: string, holder: string): Promise<void> {
  await sql.query("DELETE FROM leases WHERE name = $1 AND holder = $2", [name, holder]);
}

/** The stored lease, even if expired: callers compare `expiresAt` with their clock. */
export async function getLease(
  sql: Sql,
  name: string,
): Promise<{ holder: string; expiresAt: number } | undefined> {
  const result = await sql.query<{ holder: string; expires_at: number }>(
    "SELECT holder, expires_at FROM leases WHERE name = $1",
    [name],
  );
  const row = result.rows[0];
  return row ? { holder: row.holder, expiresAt: row.expires_at } : undefined;
}

/** The lease's fencing epoch (not part of the Store interface yet). */
export async function leaseEpoch(sql: Sql, name: string): Promise<number | undefined> {
  const result = await sql.query<{ epoch: number }>("SELECT epoch FROM leases WHERE name = $1", [name]);
  return result.rows[0]?.epoch;
}
