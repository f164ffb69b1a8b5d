import type { Command } from "commander";
import { type AuditFilterText, auditFilter } from "../audit/filter.js";
import { AUDIT_ORIGINS, type AuditEntry } from "../audit/types.js";
import { assertSound, storeName } from "../store/index.js";
import { EXIT, type GlobalOptions, printJson } from "./context.js";
import { withClient } from "./remote.js";

type Globals = () => GlobalOptions;

/** `tandem audit` (list and filter the audit trail) and `tandem audit verify` (check its hash chain). */
export function registerAuditCommands(program: Command, globals: Globals): void {
  const audit = program
    .command("audit")
    .description("the audit trail: every change, who made it, when, through which door and why")
    .option("--actor <name>", "only changes by this actor")
    .option("--action <action>", "only this action (release.approve) or family (release)")
    .option("--release <id>", "only entries about this release")
    .option("--subject <subject>", "only entries about this subject (release id, env/service, token…)")
    .option("--since <when>", "only entries since: a duration back from now (24h) or a date")
    .option("--origin <origin>", `only changes made through ${AUDIT_ORIGINS.join(" | ")}`)
    .option("--limit <n>", "only the newest N entries (default 100)")
    .action(async (flags: AuditFilterText) =>
      withClient(globals(), async (client) => {
        const entries = await client.auditEntries(auditFilter(flags, Date.now()));
        if (globals().json) return printJson(entries);
        if (entries.length === 0) return console.log("no audit entry matches");
        for (const entry of entries) console.log(auditLine(entry));
      }),
    );

  audit
    .command("verify")
    .description(
      `check the store file (integrity_check), then recompute the hash chain from the first entry; exit ${EXIT.auditBroken} at the first edited, deleted or inserted entry, ${EXIT.storeCorrupt} when the file is damaged`,
    )
    .option("--expect-head <head>", "a head exported earlier (HASH or SEQ:HASH) the chain must still contain")
    .action(async (flags: { expectHead?: string }) =>
      withClient(globals(), async (client, local) => {
        // Local only: the chain is only as good as the file holding it, a damaged file is never "OK".
        // (Through a server, the server's file is its operator's to check.)
        // (PostgreSQL: the schema only; its pages are the server's to check, the chain is checked below.)
        if (local) {
          const mode = local.config.store.type === "postgres" ? "quick" : "full";
          assertSound(storeName(local.config.store), await local.store.checkIntegrity(mode));
        }
        const verdict = await client.verifyAudit(flags.expectHead);
        if (globals().json) printJson(verdict);
        if (verdict.ok) {
          if (!globals().json) {
            if (local) console.log("store file OK (integrity_check)");
            const head = verdict.head ? `${verdict.head.seq}:${verdict.head.hash}` : "(empty log)";
            console.log(`audit trail OK: ${verdict.count} entries, head ${head}`);
          }
          return;
        }
        const { problem } = verdict;
        process.stderr.write(
          `audit trail BROKEN at entry ${problem.seq} (${problem.kind}): ${problem.message}\n` +
            `  ${verdict.count} entries before it verified\n`,
        );
        process.exitCode = EXIT.auditBroken;
      }),
    );
}

export function auditLine(entry: AuditEntry): string {
  const at = new Date(entry.at)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  const reason = entry.reason === undefined ? "" : `  "${entry.reason}"`;
  return `#${entry.seq}  ${at}  ${entry.origin.padEnd(7)} ${entry.actor.padEnd(14)} ${entry.action.padEnd(24)} ${entry.subject}${reason}`;
}
