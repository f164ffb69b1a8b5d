import type { VersionMetadata } from "../core/types.js";
import type { SqliteConnection } from "./sqlite-connection.js";
import { type VersionRow, versionFromRow } from "./sqlite-rows.js";

/** Version metadata: what each published version of a service provides and requires. */

/** Inserts or replaces the record of project + service + version. */
export function putVersion(sql: SqliteConnection, metadata: VersionMetadata): void {
  sql
    .statement(
      `INSERT INTO versions (project, service, version, provides, requires, published_at, published_by, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project, service, version) DO UPDATE SET provides = excluded.provides,
         requires = excluded.requires, published_at = excluded.published_at,
         published_by = excluded.published_by, source = excluded.source`,
    )
    .run(
      metadata.project,
      metadata.service,
      metadata.version,
      JSON.stringify(metadata.provides),
      JSON.stringify(metadata.requires),
      metadata.publishedAt,
      metadata.publishedBy,
      metadata.source,
    );
}

export function getVersion(
  sql: SqliteConnection,
  project: string,
  service: string,
  version: string,
): VersionMetadata | undefined {
  const row = sql
    .statement("SELECT * FROM versions WHERE project = ? AND service = ? AND version = ?")
    .get(project, service, version) as VersionRow | undefined;
  return row ? versionFromRow(row) : undefined;
}

/** Newest published first; ties by newest write. */
export function listVersions(sql: SqliteConnection, project: string, service?: string): VersionMetadata[] {
  const rows = sql
    .statement(
      `SELECT * FROM versions WHERE project = ? AND (? IS NULL OR service = ?)
       ORDER BY published_at DESC, rowid DESC`,
    )
    .all(project, service ?? null, service ?? null) as VersionRow[];
  return rows.map(versionFromRow);
}
