import type { Command } from "commander";
import { verifyStoredAudit } from "../audit/store-verify.js";
import { loadConfig } from "../config/index.js";
import { registerSecret } from "../config/redact.js";
import type { PostgresStoreConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import {
  type CopyReport,
  checkStoreFile,
  copySqliteToPostgres,
  createStore,
  faultHint,
  MIGRATIONS,
  maskUrl,
  PG_MIGRATIONS,
  PostgresStore,
  SqliteStore,
  type StoreCheckItem,
  storeName,
} from "../store/index.js";
import { urlSecrets } from "../store/postgres/url.js";
import { configPath, EXIT, type GlobalOptions, printJson } from "./context.js";

type Globals = () => GlobalOptions;

/** One line of the report: a check of the file, or the audit trail's chain. */
interface ReportItem {
  check: StoreCheckItem["check"] | "audit" | "schema";
  ok: boolean;
  detail: string;
}

/**
 * `tandem store check`: the store file's header, pages and schema, then the audit trail's hash chain,
 * without writing anything. Exit 0 sound, 5 damaged, 4 the audit chain broken, 3 unreadable.
 * `tandem store migrate`: applies pending migrations and says which. `tandem store copy --to URL`: the
 * SQLite store's whole history into an empty PostgreSQL store, verified.
 */
export function registerStoreCommands(program: Command, globals: Globals): void {
  const store = program.command("store").description("the store itself: check, migrate, copy to PostgreSQL");
  store
    .command("check")
    .description(
      `check the store file (every page, the schema, the audit trail's hash chain) without writing to it; exit ${EXIT.ok} sound, ${EXIT.storeCorrupt} damaged, ${EXIT.auditBroken} audit chain broken, ${EXIT.operational} unreadable`,
    )
    .option("--full", "integrity_check instead of quick_check: also every index against its table (slower)")
    .action(async (flags: { full?: boolean }) => {
      const config = loadConfig(configPath(globals()));
      if (config.store.type === "postgres") return checkPostgres(config.store, globals());
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

  store
    .command("migrate")
    .description(
      "apply the store's pending schema migrations (every command also does, on start) and print them",
    )
    .action(async () => {
      const config = loadConfig(configPath(globals()));
      const opened = createStore(config.store, { baseDir: config.baseDir });
      try {
        const applied = await opened.applyMigrations();
        const known = config.store.type === "postgres" ? PG_VERSION : SQLITE_VERSION;
        const name = storeName(config.store);
        if (globals().json) {
          return printJson({
            store: name,
            applied: applied.map(({ version, name }) => ({ version, name })),
            version: known,
          });
        }
        if (applied.length === 0)
          return void console.log(`store ${name}: schema current (version ${known}), nothing applied`);
        console.log(`store ${name}: applied ${applied.length} migration${applied.length === 1 ? "" : "s"}`);
        for (const migration of applied) console.log(`  ${migration.version}  ${migration.name}`);
        console.log(`schema version ${known}`);
      } finally {
        await opened.close();
      }
    });

  store
    .command("copy")
    .description(
      "copy this project's SQLite store (releases, events, registry, versions, commands, tokens, audit trail, outbox, instances, routers) into an empty PostgreSQL database, then verify counts and the audit head",
    )
    .requiredOption(
      "--to <url>",
      'the target, postgres://user:password@host:port/database (e.g. "$DATABASE_URL")',
    )
    .action(async (flags: { to: string }) => {
      for (const secret of urlSecrets(flags.to)) registerSecret(secret);
      if (!/^postgres(ql)?:\/\//.test(flags.to)) {
        throw new TandemError(
          "TANDEM_ERR_INVALID_REQUEST",
          "--to must be a postgres:// (or postgresql://) URL",
          {
            hint: 'e.g. --to "$DATABASE_URL"',
          },
        );
      }
      const config = loadConfig(configPath(globals()));
      if (config.store.type !== "sqlite" || config.store.path === ":memory:") {
        throw new TandemError(
          "TANDEM_ERR_INVALID_REQUEST",
          `store copy reads a SQLite store file; this project's store is ${config.store.type === "sqlite" ? "`:memory:`" : storeName(config.store)}`,
        );
      }
      const report = await copySqliteToPostgres(config.store.path, flags.to);
      if (globals().json) return printJson({ source: config.store.path, ...report });
      printCopyReport(config.store.path, report);
    });
}

const SQLITE_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
const PG_VERSION = PG_MIGRATIONS.at(-1)?.version ?? 0;

function printCopyReport(source: string, report: CopyReport): void {
  console.log(`copied ${source}\n    to ${report.target}`);
  console.log(`  ${"table".padEnd(18)} ${"sqlite".padStart(9)} ${"postgres".padStart(9)}`);
  for (const count of report.tables) {
    console.log(
      `  ${count.table.padEnd(18)} ${String(count.source).padStart(9)} ${String(count.target).padStart(9)}  ok`,
    );
  }
  const head = report.audit.target ? `${report.audit.target.seq}:${report.audit.target.hash}` : "(empty log)";
  console.log(`  audit head ${head} on both sides; hash chain of ${report.audit.entries} entries verified`);
  console.log(`  not copied: ${report.skipped.join(", ")} (engines on the new store take their own)`);
  console.log("copy verified");
}

/** `store check` of a PostgreSQL store: schema, audit head and the whole hash chain (read-only). */
async function checkPostgres(config: PostgresStoreConfig, options: GlobalOptions): Promise<void> {
  const where = maskUrl(config.url);
  const opened = new PostgresStore(config.url, { readonly: true, maxConnections: 2 });
  try {
    const schema = await opened.checkIntegrity("quick");
    const items: ReportItem[] = [
      {
        check: "schema",
        ok: schema.length === 0,
        detail: schema.length === 0 ? `version ${PG_VERSION}` : schema.join("; "),
      },
    ];
    if (schema.length === 0) items.push(await checkAuditOf(opened));
    const ok = items.every((item) => item.ok);
    const code = ok ? EXIT.ok : schema.length > 0 ? EXIT.storeCorrupt : EXIT.auditBroken;
    process.exitCode = code;
    if (options.json) return printJson({ store: where, ok, exitCode: code, checks: items });
    const out = ok ? process.stdout : process.stderr;
    out.write(`store ${where}\n`);
    for (const item of items)
      out.write(`  ${item.ok ? "ok    " : "FAILED"} ${item.check.padEnd(6)} ${item.detail}\n`);
    out.write(
      ok
        ? "store OK\n"
        : code === EXIT.auditBroken
          ? "store BROKEN: the audit trail was altered (`tandem audit verify`)\n"
          : "store SCHEMA WRONG: run `tandem store migrate`\n",
    );
  } finally {
    await opened.close();
  }
}

/** The audit trail's hash chain, read through a read-only store that neither checks again nor migrates. */
async function checkAudit(file: string): Promise<ReportItem> {
  const store = new SqliteStore(file, { readonly: true, check: false });
  try {
    return await checkAuditOf(store);
  } finally {
    await store.close();
  }
}

async function checkAuditOf(store: SqliteStore | PostgresStore): Promise<ReportItem> {
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
  }
}
