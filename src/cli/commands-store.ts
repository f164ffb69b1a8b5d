import type { Command } from "commander";
import { verifyStoredAudit } from "../audit/store-verify.js";
import { loadConfig } from "../config/index.js";
import { TandemError } from "../core/errors.js";
import { checkStoreFile, faultHint, SqliteStore, type StoreCheckItem } from "../store/index.js";
import { configPath, EXIT, type GlobalOptions, printJson } from "./context.js";

type Globals = () => GlobalOptions;

/** One line of the report: a check of the file, or the audit trail's chain. */
interface ReportItem {
  check: StoreCheckItem["check"] | "audit";
  ok: boolean;
  detail: string;
}

/**
 * `tandem store check`: the store file's header, pages and schema, then the audit trail's hash chain,
 * without writing anything. Exit 0 sound, 5 damaged, 4 the audit chain broken, 3 unreadable.
 */
export function registerStoreCommands(program: Command, globals: Globals): void {
  const store = program.command("store").description("the store file itself");
  store
    .command("check")
    .description(
      `check the store file (every page, the schema, the audit trail's hash chain) without writing to it; exit ${EXIT.ok} sound, ${EXIT.storeCorrupt} damaged, ${EXIT.auditBroken} audit chain broken, ${EXIT.operational} unreadable`,
    )
    .option("--full", "integrity_check instead of quick_check: also every index against its table (slower)")
    .action(async (flags: { full?: boolean }) => {
      const config = loadConfig(configPath(globals()));
      const file = config.store.path;
      if (file === ":memory:") {
        throw new TandemError(
          "TANDEM_ERR_INVALID_REQUEST",
          "the store is `:memory:`: there is no file to check",
        );
      }
      const report = checkStoreFile(file, { full: flags.full });
      const items: ReportItem[] = [...report.checks];
      let auditBroken = false;
      if (report.ok) {
        const audit = await checkAudit(file);
        auditBroken = !audit.ok;
        items.push(audit);
      }
      const ok = report.ok && !auditBroken;
      const code = !report.readable
        ? EXIT.operational
        : !report.ok
          ? EXIT.storeCorrupt
          : auditBroken
            ? EXIT.auditBroken
            : EXIT.ok;
      process.exitCode = code;
      if (globals().json) return printJson({ file, ok, exitCode: code, checks: items });
      const out = ok ? process.stdout : process.stderr;
      out.write(`store ${file}\n`);
      for (const item of items)
        out.write(`  ${item.ok ? "ok    " : "FAILED"} ${item.check.padEnd(6)} ${item.detail}\n`);
      if (ok) return void out.write("store OK\n");
      if (code === EXIT.storeCorrupt) out.write(`store DAMAGED\n  hint: ${faultHint("corrupt", file)}\n`);
      else if (code === EXIT.auditBroken)
        out.write("store BROKEN: the audit trail was altered (`tandem audit verify`)\n");
      else out.write("store UNREADABLE\n");
    });
}

/** The audit trail's hash chain, read through a read-only store that neither checks again nor migrates. */
async function checkAudit(file: string): Promise<ReportItem> {
  const store = new SqliteStore(file, { readonly: true, check: false });
  try {
    const verdict = await verifyStoredAudit(store);
    if (verdict.ok) {
      const head = verdict.head ? `head ${verdict.head.seq}:${verdict.head.hash}` : "empty log";
      return { check: "audit", ok: true, detail: `hash chain of ${verdict.count} entries verified, ${head}` };
    }
    const { problem } = verdict;
    return {
      check: "audit",
      ok: false,
      detail: `hash chain broken at entry ${problem.seq} (${problem.kind}): ${problem.message}`,
    };
  } catch (error) {
    return { check: "audit", ok: false, detail: `cannot be read: ${(error as Error).message}` };
  } finally {
    await store.close();
  }
}
