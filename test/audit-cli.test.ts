import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditEntry } from "../src/audit/types.js";
import type { ReleaseState } from "../src/core/types.js";
import { type CliResult, describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";

/**
 * The audit trail through the compiled CLI: what people do (as TANDEM_USER) and what the engine decides
 * is recorded; `tandem audit verify` passes; then the database FILE is altered behind Tandem's back
 * (triggers dropped, a row edited or deleted) and verify names the first broken entry and exits 4.
 */

const CONFIG = `project: shop
environments:
  staging: {}
services:
  api:
    target: { type: sim }
`;
const AUDIT_BROKEN = 4;
const as = (user: string) => ({ env: { TANDEM_USER: user }, timeoutMs: 30_000 });

describe("tandem audit", () => {
  let project: TestProject | undefined;
  const handles: Database.Database[] = [];

  afterEach(async () => {
    for (const db of handles.splice(0)) if (db.open) db.close();
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  async function ok(p: TestProject, args: string[], user = "alice"): Promise<string> {
    const result = await p.cli(args, as(user));
    expect(result.code, describeRun(args, result)).toBe(0);
    return result.stdout;
  }

  const verify = (p: TestProject, extra: string[] = []): Promise<CliResult> =>
    p.cli(["audit", "verify", ...extra], as("auditor"));

  /** The project's database opened directly, as someone with write access to the file would. */
  function sqlite(p: TestProject): Database.Database {
    const db = new Database(join(p.dir, ".tandem", "tandem.db"), { timeout: 5000 });
    handles.push(db);
    return db;
  }

  async function populated(): Promise<{ p: TestProject; first: ReleaseState }> {
    const p = TestProject.withConfigText(CONFIG);
    project = p;
    const first = await p.cliJson<ReleaseState>(["deploy", "api@1.0.0"], 0, as("alice"));
    expect(first.status).toBe("succeeded");
    await ok(p, ["registry", "publish", "api", "2.0.0", "--provides", "orders:1.2.0"], "bob");
    expect((await p.cliJson<ReleaseState>(["deploy", "api@2.0.0"], 0, as("bob"))).status).toBe("succeeded");
    await ok(p, ["rollback", "api", "--reason", "2.0.0 drops orders"], "alice");
    return { p, first };
  }

  it("records who did what through the CLI and the engine, lists it with filters, and verifies", async () => {
    const { p, first } = await populated();

    const all = await p.cliJson<AuditEntry[]>(["audit"], 0, as("auditor"));
    expect(all.map((e) => `${e.seq} ${e.origin} ${e.actor} ${e.action}`)).toEqual([
      "1 cli alice release.created",
      "2 engine tandem-engine registry.stable_changed",
      "3 engine tandem-engine release.succeeded",
      "4 cli bob registry.version_published",
      "5 cli bob release.created",
      "6 engine tandem-engine registry.stable_changed",
      "7 engine tandem-engine release.succeeded",
      "8 cli alice release.created",
      "9 engine tandem-engine registry.stable_changed",
      "10 engine tandem-engine release.succeeded",
    ]);
    expect(all[0]!.subject).toBe(first.id);
    expect(all[3]).toMatchObject({ subject: "api@2.0.0", data: { provides: { orders: "1.2.0" } } });
    expect(all[7]).toMatchObject({ reason: "2.0.0 drops orders", data: { kind: "rollback" } });

    const bob = await p.cliJson<AuditEntry[]>(["audit", "--actor", "bob"], 0, as("auditor"));
    expect(bob.map((e) => e.action)).toEqual(["registry.version_published", "release.created"]);
    expect(bob.every((e) => e.actor === "bob")).toBe(true);
    const aboutFirst = await p.cliJson<AuditEntry[]>(["audit", "--release", first.id], 0, as("auditor"));
    expect(aboutFirst.map((e) => e.seq)).toEqual([1, 3]);
    const engine = await p.cliJson<AuditEntry[]>(
      ["audit", "--origin", "engine", "--action", "registry", "--limit", "2"],
      0,
      as("auditor"),
    );
    expect(engine.map((e) => [e.seq, e.data?.version])).toEqual([
      [6, "2.0.0"],
      [9, "1.0.0"],
    ]);
    const text = await ok(p, ["audit", "--actor", "alice"], "auditor");
    expect(text).toContain("release.created");
    expect(text).toContain('"2.0.0 drops orders"');

    const verdict = await verify(p);
    expect(verdict.code, describeRun(["audit", "verify"], verdict)).toBe(0);
    expect(verdict.stdout).toContain(`audit trail OK: 10 entries, head 10:${all[9]!.hash}`);
  });

  it("fails naming the entry after a reason is altered in the database file, and passes once it is put back", async () => {
    const { p } = await populated();
    const db = sqlite(p);
    // The trigger stops an accidental edit...
    expect(() => db.prepare("UPDATE audit SET reason = 'routine' WHERE seq = 8").run()).toThrow(
      /append-only/,
    );
    // ...a deliberate one drops it first.
    db.exec("DROP TRIGGER audit_is_append_only_update");
    db.prepare("UPDATE audit SET reason = 'routine' WHERE seq = 8").run();

    const broken = await verify(p);
    expect(broken.code, describeRun(["audit", "verify"], broken)).toBe(AUDIT_BROKEN);
    expect(broken.stderr).toContain("audit trail BROKEN at entry 8 (hash_mismatch)");
    expect(broken.stderr).toContain("entry 8 (release.created");
    expect(broken.stderr).toContain("7 entries before it verified");
    const json = await p.cliJson<{ ok: boolean; problem: { seq: number; kind: string } }>(
      ["audit", "verify"],
      AUDIT_BROKEN,
      as("auditor"),
    );
    expect(json).toMatchObject({ ok: false, problem: { seq: 8, kind: "hash_mismatch" } });

    db.prepare("UPDATE audit SET reason = '2.0.0 drops orders' WHERE seq = 8").run();
    expect((await verify(p)).code).toBe(0);
  });

  it("fails when an entry in the middle is deleted, and when the tail is cut off", async () => {
    const { p } = await populated();
    const head = (await verify(p)).stdout.match(/head (\d+:[0-9a-f]{64})/)![1]!;
    const db = sqlite(p);
    db.exec("DROP TRIGGER audit_is_append_only_delete");
    const fifth = db.prepare("SELECT * FROM audit WHERE seq = 5").get() as Record<string, unknown>;
    db.prepare("DELETE FROM audit WHERE seq = 5").run();
    const gap = await verify(p);
    expect(gap.code, describeRun(["audit", "verify"], gap)).toBe(AUDIT_BROKEN);
    expect(gap.stderr).toContain("audit trail BROKEN at entry 6 (seq_gap)");
    expect(gap.stderr).toContain("1 entry was deleted");

    // Put it back: the chain is whole again.
    const columns = Object.keys(fifth);
    db.prepare(
      `INSERT INTO audit (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`,
    ).run(fifth);
    expect((await verify(p)).code).toBe(0);

    // Cutting the tail leaves a valid-looking chain, but not the recorded head...
    db.prepare("DELETE FROM audit WHERE seq >= 9").run();
    const cut = await verify(p);
    expect(cut.code, describeRun(["audit", "verify"], cut)).toBe(AUDIT_BROKEN);
    expect(cut.stderr).toContain("(head_mismatch)");
    expect(cut.stderr).toContain("the log ends at entry 8 but the recorded head is entry 10");
    // ...and when the head is rewritten too, an exported head still catches it.
    db.exec("DROP TRIGGER audit_head_moves_forward");
    const last = db.prepare("SELECT seq, hash FROM audit WHERE seq = 8").get() as {
      seq: number;
      hash: string;
    };
    db.prepare("UPDATE audit_head SET seq = ?, hash = ?").run(last.seq, last.hash);
    expect((await verify(p)).code).toBe(0);
    const exported = await verify(p, ["--expect-head", head]);
    expect(exported.code, describeRun(["audit", "verify", "--expect-head", head], exported)).toBe(
      AUDIT_BROKEN,
    );
    expect(exported.stderr).toContain(`the expected head ${head} is not in the log`);
  });

  it("keeps one chain when several tandem processes write at once", async () => {
    const p = TestProject.withConfigText(CONFIG);
    project = p;
    await Promise.all(
      ["carol", "dave", "erin"].map(async (user) => {
        for (let i = 1; i <= 4; i++) await ok(p, ["registry", "publish", "api", `${i}.0.0-${user}`], user);
      }),
    );
    const entries = await p.cliJson<AuditEntry[]>(["audit"], 0, as("auditor"));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(new Set(entries.map((e) => e.subject)).size).toBe(12);
    const verdict = await verify(p);
    expect(verdict.code, describeRun(["audit", "verify"], verdict)).toBe(0);
    expect(verdict.stdout).toContain("audit trail OK: 12 entries");
  });
});
