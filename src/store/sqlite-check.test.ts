import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { event, release } from "./conformance.fixtures.js";
import { damageStore } from "./damage.fixtures.js";
import { SqliteStore } from "./index.js";
import { MIGRATIONS } from "./migrations.js";
import { checkStoreFile } from "./sqlite-check.js";

/** `checkStoreFile` (what `tandem store check` runs): header, pages, schema; never writes. */
describe("checkStoreFile", () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tandem-check-"));
    file = join(dir, "tandem.db");
    const store = new SqliteStore(file);
    await store.migrate();
    for (let i = 0; i < 20; i++) {
      await store.createRelease(release(`r${i}`, { createdAt: 1_000 + i }), [
        event(`r${i}`, 1_000 + i, "release.created"),
        event(`r${i}`, 1_001 + i, "rollout.step_started", { service: "api" }),
      ]);
    }
    await store.close();
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function edit(sql: string): void {
    const db = new Database(file);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  }

  it("passes a sound store, quick and full", () => {
    for (const full of [false, true]) {
      const report = checkStoreFile(file, { full });
      expect(report, JSON.stringify(report)).toMatchObject({ ok: true, readable: true });
      expect(report.checks.map((c) => c.check)).toEqual(["file", "pages", "schema"]);
      expect(report.checks[1]!.detail).toBe(full ? "integrity_check: ok" : "quick_check: ok");
    }
  });

  it("finds 3,000 random bytes in the middle of the file, and does not change the file", async () => {
    damageStore(file);
    const before = readFileSync(file);
    const report = checkStoreFile(file);
    expect(report).toMatchObject({ ok: false, readable: true });
    expect(report.checks.find((c) => c.check === "pages")).toMatchObject({ ok: false });
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("finds a file that is not a SQLite database", () => {
    writeFileSync(file, "garbage ".repeat(1000));
    expect(checkStoreFile(file)).toMatchObject({
      ok: false,
      readable: true,
      checks: [{ check: "file", ok: false, detail: "not a SQLite database (its header is overwritten)" }],
    });
  });

  it("says a missing file is unreadable, not damaged", () => {
    expect(checkStoreFile(join(dir, "nope.db"))).toMatchObject({ ok: false, readable: false });
  });

  it("checks Tandem's schema: a newer version, a missing index or trigger", () => {
    edit("DROP INDEX events_by_release; DROP TRIGGER audit_is_append_only_delete");
    const missing = checkStoreFile(file).checks.find((c) => c.check === "schema")!;
    expect(missing.ok).toBe(false);
    expect(missing.detail).toContain("index events_by_release");
    expect(missing.detail).toContain("trigger audit_is_append_only_delete");

    edit("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)");
    const newer = checkStoreFile(file).checks.find((c) => c.check === "schema")!;
    expect(newer).toMatchObject({ ok: false });
    expect(newer.detail).toContain(
      `schema version 999 is newer than this tandem knows (${MIGRATIONS.at(-1)!.version})`,
    );
  });
});
