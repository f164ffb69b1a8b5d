import type { RegistryEntry } from "../core/types.js";
import type { SqliteConnection } from "./sqlite-connection.js";
import {
  type InstanceRow,
  instanceFromRow,
  type RegistryRow,
  type RouterRow,
  registryFromRow,
  routerFromRow,
} from "./sqlite-rows.js";
import type { InstanceChanges, InstanceRecord, RouterRecord } from "./types.js";

/** Registry history, adopted processes (instances, routers) and leases. */

/** The newest registry entry of the service: its stable version. */
export function getStable(
  sql: SqliteConnection,
  project: string,
  environment: string,
  service: string,
): RegistryEntry | undefined {
  const row = sql
    .statement(
      `SELECT * FROM registry WHERE project = ? AND environment = ? AND service = ?
       ORDER BY at DESC, id DESC LIMIT 1`,
    )
    .get(project, environment, service) as RegistryRow | undefined;
  // An empty version is a withdrawal: the service's first release was backed out and nothing runs.
  return row && row.version !== "" ? registryFromRow(row) : undefined;
}

/** The newest entry of each service (withdrawals left out), by service. */
export function listStable(sql: SqliteConnection, project: string, environment: string): RegistryEntry[] {
  const rows = sql
    .statement(
      `SELECT * FROM (
         SELECT *, ROW_NUMBER() OVER (PARTITION BY service ORDER BY at DESC, id DESC) AS newest
         FROM registry WHERE project = ? AND environment = ?
       ) WHERE newest = 1 AND version != '' ORDER BY service`,
    )
    .all(project, environment) as RegistryRow[];
  return rows.map(registryFromRow);
}

/** Newest first (time, then insertion order). */
export function registryHistory(
  sql: SqliteConnection,
  project: string,
  environment: string,
  service?: string,
  limit?: number,
): RegistryEntry[] {
  const rows = sql
    .statement(
      `SELECT * FROM registry WHERE project = ? AND environment = ? AND (? IS NULL OR service = ?)
       ORDER BY at DESC, id DESC LIMIT ?`,
    )
    .all(project, environment, service ?? null, service ?? null, limit ?? -1) as RegistryRow[];
  return rows.map(registryFromRow);
}

export function putInstance(sql: SqliteConnection, instance: InstanceRecord): void {
  sql
    .statement(
      `INSERT INTO instances (id, project, environment, service, version, host, port, pid, started_at, log_file)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET project = excluded.project, environment = excluded.environment,
         service = excluded.service, version = excluded.version, host = excluded.host, port = excluded.port,
         pid = excluded.pid, started_at = excluded.started_at, log_file = excluded.log_file`,
    )
    .run(
      instance.id,
      instance.project,
      instance.environment,
      instance.service,
      instance.version,
      instance.host,
      instance.port,
      instance.pid ?? null,
      instance.startedAt,
      instance.logFile,
    );
}

export function deleteInstance(sql: SqliteConnection, id: string): void {
  sql.statement("DELETE FROM instances WHERE id = ?").run(id);
}

/** The statements of `writeInstances`, without a transaction of their own (the caller's holds them). */
export function applyInstanceChanges(sql: SqliteConnection, changes: InstanceChanges): void {
  for (const instance of changes.put ?? []) putInstance(sql, instance);
  for (const id of changes.delete ?? []) deleteInstance(sql, id);
}

export function listInstances(
  sql: SqliteConnection,
  filter: { project: string; environment?: string; service?: string; version?: string },
): InstanceRecord[] {
  // One statement per set of filters (cached by the connection), so SQLite uses instances_by_service:
  // `(? IS NULL OR col = ?)` would make every engine's target.list() scan the whole table.
  const where = ["project = ?"];
  const values: string[] = [filter.project];
  for (const [column, value] of [
    ["environment", filter.environment],
    ["service", filter.service],
    ["version", filter.version],
  ] as const) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    values.push(value);
  }
  const rows = sql
    .statement(
      `SELECT * FROM instances WHERE ${where.join(" AND ")} ORDER BY environment, service, started_at, id`,
    )
    .all(...values) as InstanceRow[];
  return rows.map(instanceFromRow);
}

export function putRouter(sql: SqliteConnection, router: RouterRecord): void {
  sql
    .statement(
      `INSERT INTO routers (project, environment, service, pid, listen_host, listen_port, admin_port, token, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project, environment, service) DO UPDATE SET pid = excluded.pid,
         listen_host = excluded.listen_host, listen_port = excluded.listen_port,
         admin_port = excluded.admin_port, token = excluded.token, started_at = excluded.started_at`,
    )
    .run(
      router.project,
      router.environment,
      router.service,
      router.pid,
      router.listenHost,
      router.listenPort,
      router.adminPort,
      router.token,
      router.startedAt,
    );
}

export function getRouter(
  sql: SqliteConnection,
  project: string,
  environment: string,
  service: string,
): RouterRecord | undefined {
  const row = sql
    .statement("SELECT * FROM routers WHERE project = ? AND environment = ? AND service = ?")
    .get(project, environment, service) as RouterRow | undefined;
  return row ? routerFromRow(row) : undefined;
}

export function deleteRouter(
  sql: SqliteConnection,
  project: string,
  environment: string,
  service: string,
): void {
  sql
    .statement("DELETE FROM routers WHERE project = ? AND environment = ? AND service = ?")
    .run(project, environment, service);
}

export function listRouters(sql: SqliteConnection, project: string): RouterRecord[] {
  const rows = sql
    .statement("SELECT * FROM routers WHERE project = ? ORDER BY environment, service")
    .all(project) as RouterRow[];
  return rows.map(routerFromRow);
}

/**
 * One conditional upsert: the row is written only when the lease is free, expired
 * (expires_at <= now), already held by `holder`, or held by `stealFrom`.
 */
export function acquireLease(
  sql: SqliteConnection,
  name: string,
  holder: string,
  ttlMs: number,
  now: number,
  stealFrom?: string,
): boolean {
  return sql.write(() => {
    const result = sql
      .statement(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.expires_at <= ? OR leases.holder = excluded.holder
           OR (? IS NOT NULL AND leases.holder = ?)`,
      )
      .run(name, holder, now + ttlMs, now, stealFrom ?? null, stealFrom ?? null);
    return result.changes === 1;
  });
}

/** Frees the lease if `holder` holds it; otherwise does nothing. */
export function releaseLease(sql: SqliteConnection, name: string, holder: string): void {
  sql.statement("DELETE FROM leases WHERE name = ? AND holder = ?").run(name, holder);
}

/** The stored lease, even if expired: callers compare `expiresAt` with their clock. */
export function getLease(
  sql: SqliteConnection,
  name: string,
): { holder: string; expiresAt: number } | undefined {
  const row = sql.statement("SELECT holder, expires_at FROM leases WHERE name = ?").get(name) as
    | { holder: string; expires_at: number }
    | undefined;
  return row ? { holder: row.holder, expiresAt: row.expires_at } : undefined;
}
