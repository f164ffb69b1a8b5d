import type { VersionMetadata } from "../../core/types.js";
import { type VersionRow, versionFromRow } from "../sqlite-rows.js";
import type { Sql } from "./connection.js";

/** Version metadata: what each published version of a service provides and requires. */

const COLUMNS = "project, service, version, provides, requires, published_at, published_by, source";

/** Inserts or replaces the record of project + service + version (keeping its insertion order, as SQLite's rowid). */
export async function putVersion(sql: Sql, metadata: VersionMetadata): Promise<void> {
  await sql.query(
    `INSERT INTO versions (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (project, service, version) DO UPDATE SET provides = excluded.provides,
       requires = excluded.requires, published_at = excluded.published_at,
       published_by = excluded.published_by, source = excluded.source`,
    [
      metadata.project,
      metadata.service,
      metadata.version,
      JSON.stringify(metadata.provides),
      JSON.stringify(metadata.requires),
      metadata.publishedAt,
      metadata.publishedBy,
      metadata.source,
    ],
  );
}

export async function getVersion(
  sql: Sql,
  project: string,
  service: string,
  version: string,
): Promise<VersionMetadata | undefined> {
  const result = await sql.query<VersionRow>(
    `SELECT ${COLUMNS} FROM versions WHERE project = $1 AND service = $2 AND version = $3`,
    [project, service, version],
  );
  const row = result.rows[0];
  return row ? versionFromRow(row) : undefined;
}

/** Newest published first; ties by insertion order, newest first. */
export async function listVersions(sql: Sql, project: string, service?: string): Promise<VersionMetadata[]> {
  const result = await sql.query<VersionRow>(
    `SELECT ${COLUMNS} FROM versions WHERE project = $1 AND ($2::text IS NULL OR service = $2)
     ORDER BY published_at DESC, ord DESC`,
    [project, service ?? null],
  );
  return result.rows.map(versionFromRow);
}
