import { verifyStoredAudit } from "../../audit/store-verify.js";
import { allAudit, auditHead } from "./audit.js";
import type { PostgresConnection } from "./connection.js";
import { PG_MIGRATIONS, schemaVersion } from "./migrations.js";

/** The tables schema version 1 creates: each must be there. */
const TABLES = [
  "releases",
  "release_services",
  "rollouts",
  "events",
  "commands",
  "registry",
  "instances",
  "routers",
  "leases",
  "versions",
  "outbox",
  "api_tokens",
  "audit",
  "audit_head",
];

/**
 * What can be checked of a PostgreSQL store from a client (its pages are the server's to check, with
 * its own tools): `quick` checks the schema version and tables;
 * `full` also that the audit head is the last entry and the audit trail's whole hash chain. Returns the
 * problems found.
 */
export async function checkPostgres(
  connection: PostgresConnection,
  mode: "quick" | "full",
): Promise<string[]> {
  const problems: string[] = [];
  const version = await schemaVersion(connection);
  const known = PG_MIGRATIONS.at(-1)?.version ?? 0;
  if (version !== known)
    problems.push(`schema version ${version}, expected ${known} (run \`tandem store migrate\`)`);
  const present = await connection.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()",
  );
  const names = new Set(present.rows.map((row) => row.name));
  for (const table of TABLES) if (!names.has(table)) problems.push(`table ${table} is missing`);
  if (problems.length > 0 || mode === "quick") return problems;
  const head = await auditHead(connection);
  const last = await connection.query<{ seq: number; hash: string }>(
    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
  );
  const lastEntry = last.rows[0];
  if (head && (!lastEntry || lastEntry.seq !== head.seq || lastEntry.hash !== head.hash)) {
    problems.push(
      `audit head ${head.seq}:${head.hash} is not the last entry (${lastEntry ? `${lastEntry.seq}:${lastEntry.hash}` : "none"})`,
    );
  } else if (!head && lastEntry) {
    problems.push(`the audit trail has entries but no head`);
  }
  if (problems.length === 0) {
    const verdict = await verifyStoredAudit({
      allAudit: () => allAudit(connection),
      auditHead: () => auditHead(connection),
    });
    if (!verdict.ok) {
      problems.push(
        `audit chain broken at entry ${verdict.problem.seq} (${verdict.problem.kind}): ${verdict.problem.message}`,
      );
    }
  }
  return problems;
}
