import { TandemError } from "../core/errors.js";
import type { SqliteConnection } from "./sqlite-connection.js";
import type { TokenRecord, TokenRole } from "./types.js";

/** API tokens (src/api/tokens.ts): one row per token, holding only the token's sha256. */

/** A token's row, as both stores return it. */
export interface TokenRow {
  id: string;
  name: string;
  role: TokenRole;
  actor: string;
  environments: string;
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export function tokenFromRow(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    actor: row.actor,
    environments: JSON.parse(row.environments) as string[],
    hash: row.hash,
    createdAt: row.created_at,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  };
}

export function putToken(sql: SqliteConnection, token: TokenRecord): void {
  const taken = sql.statement("SELECT 1 FROM api_tokens WHERE name = ?").get(token.name);
  if (taken) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `a token named "${token.name}" exists already`, {
      hint: "choose another name, or revoke the old token first (`tandem token revoke NAME`)",
    });
  }
  sql
    .statement(
      `INSERT INTO api_tokens (id, name, role, actor, environments, hash, created_at, expires_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      token.id,
      token.name,
      token.role,
      token.actor,
      JSON.stringify(token.environments),
      token.hash,
      token.createdAt,
      token.expiresAt ?? null,
      token.revokedAt ?? null,
    );
}

export function tokenByHash(sql: SqliteConnection, hash: string): TokenRecord | undefined {
  const row = sql.statement("SELECT * FROM api_tokens WHERE hash = ?").get(hash) as TokenRow | undefined;
  return row ? tokenFromRow(row) : undefined;
}

export function listTokens(sql: SqliteConnection): TokenRecord[] {
  return (sql.statement("SELECT * FROM api_tokens ORDER BY created_at, rowid").all() as TokenRow[]).map(
    tokenFromRow,
  );
}

export function revokeToken(sql: SqliteConnection, idOrName: string, at: number): boolean {
  const result = sql
    .statement("UPDATE api_tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL")
    .run(at, idOrName, idOrName);
  return result.changes > 0;
}
