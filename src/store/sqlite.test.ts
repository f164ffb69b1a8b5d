import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StoreConfig } from "../core/config.js";
import { CasConflictError, StoreError, UnknownTypeError } from "../core/errors.js";
import { command, event, PROJECT, release, rollout } from "./conformance.fixtures.js";
import { storeConformanceSuite } from "./conformance.test-suite.js";
import { openStore, SqliteStore } from "./index.js";
import { applyMigrations, MIGRATIONS } from "./migrations.js";
import { SqliteConnection } from "./sqlite-connection.js";

storeConformanceSuite("sqlite", async (options) => {
  const dir = await mkdtemp(join(tmpdir(), "tandem-store-"));
  const store = new SqliteStore(join(dir, "tandem.db"), options);
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe("SqliteStore specifics", () => {
  let dir: string;
  let file: string;
  const opened: { close(): unknown }[] = [];

  async function open(path = file): Promise<SqliteStore> {
    const store = new SqliteStore(path);
    opened.push(store);
    await store.migrate();
    return store;
  }

  function raw(path = file): Database.Database {
    const db = new Database(path, { timeout: 5000 });
    opened.push(db);
    return db;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tandem-sqlite-"));
    file = join(dir, "state", "tandem.db");
  });

  afterEach(async () => {
    for (const handle of opened.splice(0)) await handle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the parent directory and puts the file in WAL mode", async () => {
    await open();
    expect(existsSync(file)).toBe(true);
    expect(raw().pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("sets busy_timeout, foreign keys and synchronous=NORMAL on its connection", () => {
    const connection = new SqliteConnection(file);
    opened.push(connection);
    expect(connection.db.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(connection.db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(connection.db.pragma("synchronous", { simple: true })).toBe(1);
  });

  it("applies migrations once, across reopens", async () => {
    const first = await open();
    await first.migrate();
    await first.close();
    await open();
    const versions = raw().prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    const db = raw();
    expect(applyMigrations(db)).toEqual([]);
  });

  it("migrates a store of the whole-release schema (v6) to rollout rows, keeping every release", async () => {
    // A store as tandem wrote it before migration 7: the release JSON holds its rollouts and services.
    mkdirSync(join(dir, "state"), { recursive: true });
    const old = raw();
    applyMigrations(
      old,
      MIGRATIONS.filter((m) => m.version <= 6),
    );
    const r1 = release("r1", { rollouts: [rollout("db", "1.0.0"), rollout("api", "2.0.0", "running")] });
    const r2 = { ...release("r2", { createdAt: 2_000, status: "succeeded" }), revision: 3 };
    for (const r of [r1, r2]) {
      old
        .prepare(
          `INSERT INTO releases (id, project, environment, status, revision, created_at, updated_at, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.id,
          r.project,
          r.environment,
          r.status,
          r.revision,
          r.createdAt,
          r.updatedAt,
          JSON.stringify(r),
        );
      for (const o of r.rollouts) {
        old
          .prepare(
            "INSERT INTO rollouts (release_id, service, version, stable_version, status) VALUES (?, ?, ?, ?, ?)",
          )
          .run(r.id, o.service, o.version, o.stableVersion, o.status);
      }
    }
    old.close();

    const store = await open();
    expect(await store.getRelease("r1")).toEqual(r1);
    expect(await store.getRelease("r2")).toEqual(r2);
    expect((await store.listReleases({ project: PROJECT, service: "db" })).map((r) => r.id)).toEqual(["r1"]);
    expect((await store.listReleases({ project: PROJECT, active: true })).map((r) => r.id)).toEqual(["r1"]);
    // The release row keeps only the release's own fields.
    const state = JSON.parse(
      raw().prepare("SELECT state FROM releases WHERE id = 'r1'").pluck().get() as string,
    );
    expect(state.rollouts).toBeUndefined();
    expect(state.services).toBeUndefined();
    // And the migrated release takes partial writes.
    const next = (await store.getRelease("r1"))!;
    next.rollouts[1] = { ...next.rollouts[1]!, status: "succeeded" };
    await store.writeRelease({ release: next, expectedRevision: 0, changedRollouts: ["api"] });
    expect((await store.getRelease("r1"))?.rollouts.map((r) => r.status)).toEqual(["pending", "succeeded"]);
  });

  it("refuses a database migrated by a newer tandem", async () => {
    await (await open()).close();
    raw().prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)").run();
    const store = new SqliteStore(file);
    opened.push(store);
    await expect(store.migrate()).rejects.toBeInstanceOf(StoreError);
  });

  it("refuses migrations listed out of order", () => {
    const db = raw(":memory:");
    const unordered = [
      { version: 2, name: "second", sql: "CREATE TABLE b (x)" },
      { version: 1, name: "first", sql: "CREATE TABLE a (x)" },
    ];
    expect(() => applyMigrations(db, unordered)).toThrow(/out of order/);
  });

  it("keeps data across close and reopen", async () => {
    const first = await open();
    await first.createRelease(release("r1"), [event("r1", 1_000, "release.created")]);
    await first.addCommand(command("c1", "r1", 1_500));
    await first.acquireLease("engine", "a", 60_000, 1_000);
    await first.close();

    const second = await open();
    expect(await second.getRelease("r1")).toEqual(release("r1"));
    expect(await second.listEvents({ releaseId: "r1" })).toHaveLength(1);
    expect((await second.pendingCommands("r1")).map((c) => c.id)).toEqual(["c1"]);
    expect((await second.getLease("engine"))?.holder).toBe("a");
  });

  it("refuses UPDATE and DELETE of events (append-only triggers)", async () => {
    const store = await open();
    await store.appendEvents([event("r1", 1_000)]);
    const db = raw();
    expect(() => db.prepare("UPDATE events SET message = 'rewritten'").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM events").run()).toThrow(/append-only/);
    expect((await store.listEvents({}))[0]?.message).toBe(event("r1", 1_000).message);
  });

  it("shares state between two stores on the same file, and CAS conflicts between them", async () => {
    const engine = await open();
    const cli = await open();
    await engine.createRelease(release("r1"), []);
    await cli.addCommand(command("abort-1", "r1", 1_500));
    expect((await engine.pendingCommands("r1")).map((c) => c.id)).toEqual(["abort-1"]);

    const seenByEngine = (await engine.getRelease("r1"))!;
    const seenByCli = (await cli.getRelease("r1"))!;
    seenByEngine.status = "running";
    await engine.writeRelease({ release: seenByEngine, expectedRevision: 0, consumedCommands: ["abort-1"] });
    expect((await cli.getRelease("r1"))?.status).toBe("running");

    seenByCli.status = "aborted";
    await expect(cli.writeRelease({ release: seenByCli, expectedRevision: 0 })).rejects.toBeInstanceOf(
      CasConflictError,
    );
    expect(await cli.pendingCommands("r1")).toEqual([]);
  });

  it("waits for another process's write lock instead of failing", async () => {
    const store = await open();
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const Database = require("better-sqlite3");
         const db = new Database(process.argv[1]);
         db.exec("BEGIN IMMEDIATE");
         process.stdout.write("locked\\n");
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
         db.exec("COMMIT");
         db.close();`,
        file,
      ],
      { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => holder.on("exit", resolve));
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    const started = Date.now();
    await store.createRelease(release("r1"), []);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(await exited).toBe(0);
    expect(await store.getRelease("r1")).toBeDefined();
  });

  it("reports driver failures as StoreError", async () => {
    const store = await open();
    await store.close();
    await expect(store.getRelease("r1")).rejects.toMatchObject({ code: "TANDEM_ERR_STORE" });
  });
});

describe("openStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tandem-open-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("opens and migrates a sqlite store, resolving a relative path against baseDir", async () => {
    const store = await openStore({ type: "sqlite", path: ".tandem/tandem.db" }, { baseDir: dir });
    try {
      await store.createRelease(release("r1"), []);
      expect((await store.listReleases({ project: PROJECT })).map((r) => r.id)).toEqual(["r1"]);
      expect(existsSync(join(dir, ".tandem", "tandem.db"))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("refuses an unknown store type", async () => {
    const config = { type: "mongodb", path: "x" } as unknown as StoreConfig;
    await expect(openStore(config)).rejects.toBeInstanceOf(UnknownTypeError);
    await expect(openStore(config)).rejects.toMatchObject({ code: "TANDEM_ERR_UNKNOWN_TYPE" });
  });
});
