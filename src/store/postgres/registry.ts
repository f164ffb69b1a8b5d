import type { RegistryEntry } from "../../core/types.js";
import {
  type InstanceRow,
  instanceFromRow,
  type RegistryRow,
  type RouterRow,
  registryFromRow,
  routerFromRow,
} from "../sqlite-rows.js";
import type { InstanceChanges, InstanceRecord, RouterRecord } from "../types.js";
import type { Sql } from "./connection.js";

/** Registry history and adopted processes (instances, routers). */

const REGISTRY = "SELECT project, environment, service, version, release_id, at FROM registry";

/** The newest registry entry of the service: its stable version (an empty version is a withdrawal). */
export async function getStable(
  sql: Sql,
  project: string,
  environment: string,
  service: string,
): Promise<RegistryEntry | undefined> {
  const result = await sql.query<RegistryRow>(
    `${REGISTRY} WHERE project = $1 AND environment = $2 AND service = $3 ORDER BY at DESC, id DESC LIMIT 1`,
    [project, environment, service],
  );
  const row = result.rows[0];
  return row && row.version !== "" ? registryFromRow(row) : undefined;
}

/** The newest entry of each service (withdrawals left out), by service. */
export async function listStable(sql: Sql, project: string, environment: string): Promise<RegistryEntry[]> {
  const result = await sql.query<RegistryRow>(
    `SELECT * FROM (
       SELECT DISTINCT ON (service) project, environment, service, version, release_id, at FROM registry
       WHERE project = $1 AND environment = $2 ORDER BY service, at DESC, id DESC
     ) AS newest WHERE version <> '' ORDER BY service`,
    [project, environment],
  );
  return result.rows.map(registryFromRow);
}

/** Newest first (time, then insertion order). */
export async function registryHistory(
  sql: Sql,
  project: string,
  environment: string,
  service?: string,
  limit?: number,
): Promise<RegistryEntry[]> {
  const result = await sql.query<RegistryRow>(
    `${REGISTRY} WHERE project = $1 AND environment = $2 AND ($3::text IS NULL OR service = $3)
     ORDER BY at DESC, id DESC LIMIT $4`,
    [project, environment, service ?? null, limit === undefined || limit < 0 ? null : limit],
  );
  return result.rows.map(registryFromRow);
}

export async function putInstance(sql: Sql, instance: InstanceRecord): Promise<void> {
  await sql.query(
    `INSERT INTO instances (id, project, environment, service, version, host, port, pid, started_at, log_file)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO UPDATE SET project = excluded.project, environment = excluded.environment,
       service = excluded.service, version = excluded.version, host = excluded.host, port = excluded.port,
       pid = excluded.pid, started_at = excluded.started_at, log_file = excluded.log_file`,
    [
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
    ],
  );
}

export async function deleteInstance(sql: Sql, id: string): Promise<void> {
  await sql.query("DELETE FROM instances WHERE id = $1", [id]);
}

/** The statements of `writeInstances`, in the caller's transaction: every put, then every delete. */
export async function applyInstanceChanges(sql: Sql, changes: InstanceChanges): Promise<void> {
  for (const instance of changes.put ?? []) await putInstance(sql, instance);
  if (changes.delete?.length) {
    await sql.query("DELETE FROM instances WHERE id = ANY($1::text[])", [[...changes.delete]]);
  }
}

export async function listInstances(
  sql: Sql,
  filter: { project: string; environment?: string; service?: string; version?: string },
): Promise<InstanceRecord[]> {
  const where = ["project = $1"];
  const values: string[] = [filter.project];
  for (const [column, value] of [
    ["environment", filter.environment],
    ["service", filter.service],
    ["version", filter.version],
  ] as const) {
    if (value === undefined) continue;
    values.push(value);
    where.push(`${column} = $${values.length}`);
  }
  const result = await sql.query<InstanceRow>(
    `SELECT * FROM instances WHERE ${where.join(" AND ")} ORDER BY environment, service, started_at, id`,
    values,
  );
  return result.rows.map(instanceFromRow);
}

export async function putRouter(sql: Sql, router: RouterRecord): Promise<void> {
  await sql.query(
    `INSERT INTO routers (project, environment, service, pid, listen_host, listen_port, admin_port, token, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (project, environment, service) DO UPDATE SET pid = excluded.pid,
       listen_host = excluded.listen_host, listen_port = excluded.listen_port,
       admin_port = excluded.admin_port, token = excluded.token, started_at = excluded.started_at`,
    [
      router.project,
      router.environment,
      router.service,
      router.pid,
      router.listenHost,
      router.listenPort,
      router.adminPort,
      router.token,
      router.startedAt,
    ],
  );
}

export async function getRouter(
  sql: Sql,
  project: string,
  environment: string,
  service: string,
): Promise<RouterRecord | undefined> {
  const result = await sql.query<RouterRow>(
    "SELECT * FROM routers WHERE project = $1 AND environment = $2 AND service = $3",
    [project, environment, service],
  );
  const row = result.rows[0];
  return row ? routerFromRow(row) : undefined;
}

export async function deleteRouter(
  sql: Sql,
  project: string,
  environment: string,
  service: string,
): Promise<void> {
  await sql.query("DELETE FROM routers WHERE project = $1 AND environment = $2 AND service = $3", [
    project,
    environment,
    service,
  ]);
}

export async function listRouters(sql: Sql, project: string): Promise<RouterRecord[]> {
  const result = await sql.query<RouterRow>(
    "SELECT * FROM routers WHERE project = $1 ORDER BY environment, service",
    [project],
  );
  return result.rows.map(routerFromRow);
}
