import { TandemError } from "../../core/errors.js";
import { type TokenRow, tokenFromRow } from "../sqlite-tokens.js";
import type { TokenRecord } from "../types.js";
import { type Sql, sqlState } from "./connection.js";

/** API tokens (src/api/tokens.ts): one row per token, holding only the token's sha256. */

const COLUMNS = "id, name, role, actor, environments, hash, created_at, expires_at, revoked_at";

function nameTaken(name: string): TandemError {
  return new TandemError("TANDEM_ERR_INVALID_REQUEST", `a token named "${name}" exists already`, {
    hint: "choose another name, or revoke the old token first (`tandem token revoke NAME`)",
  });
}

/** Inside the caller's transaction. Two writers of one name at once: the unique index refuses the second. */
export async function putToken(sql: Sql, token: TokenRecord): Promise<void> {
  const taken = await sql.query("SELECT 1 FROM api_tokens WHERE name = $1", [token.name]);
  if ((taken.rowCount ?? 0) > 0) throw nameTaken(token.name);
  try {
    await sql.query(`INSERT INTO api_tokens (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      token.id,
      token.name,
      token.role,
      token.actor,
      JSON.stringify(token.environments),
      token.hash,
      token.createdAt,
      token.expiresAt ?? null,
      token.revokedAt ?? null,
    ]);
  } catch (error) {
    const constraint = (error as { constraint?: unknown }).constraint;
    if (sqlState(error) === "23505" && String(constraint).includes("name")) throw nameTaken(token.name);
    throw error;
  }
}

export async function tokenByHash(sql: Sql, hash: string): Promise<TokenRecord | undefined> {
  const result = await sql.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE hash = $1`, [hash]);
  const row = result.rows[0];
  return row ? tokenFromRow(row) : undefined;
}

export async function listTokens(sql: Sql): Promise<TokenRecord[]> {
  const result = await sql.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at, ord`);
  return result.rows.map(tokenFromRow);
}

export async function revokeToken(sql: Sql, idOrName: string, at: number): Promise<boolean> {
  const result = await sql.query(
    "UPDATE api_tokens SET revoked_at = $1 WHERE (id = $2 OR name = $2) AND revoked_at IS NULL",
    [at, idOrName],
  );
  return (result.rowCount ?? 0) > 0;
}
