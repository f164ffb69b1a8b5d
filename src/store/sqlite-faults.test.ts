import { chmodSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isTandemError, type TandemError } from "../core/errors.js";
import { event, release } from "./conformance.fixtures.js";
import { damageStore } from "./damage.fixtures.js";
import { SqliteStore } from "./index.js";
import { applyMigrations } from "./migrations.js";
import { guard, SqliteConnection } from "./sqlite-connection.js";
import { createRelease, getRelease } from "./sqlite-releases.js";

/**
 * The store file itself failing: damaged (random bytes in the middle), full (SQLite's max_page_count,
 * a real SQLITE_FULL), read-only. Each is a TandemError naming the file and what to do.
 */

async function failure(work: () => unknown): Promise<TandemError> {
  try {
    await work();
  } catch (error) {
    if (isTandemError(error)) return error;
    throw error;
  }
  throw new Error("expected a TandemError, nothing was thrown");
}

describe("a faulty store file", () => {
  let dir: string;
  let file: string;
  const opened: Array<{ close(): unknown }> = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tandem-faults-"));
    file = join(dir, "tandem.db");
  });

  afterEach(async () => {
    for (const handle of opened.splice(0)) await handle.close();
    chmodSync(dir, 0o755);
    await rm(dir, { recursive: true, force: true });
  });

  async function open(options: ConstructorParameters<typeof SqliteStore>[1] = {}): Promise<SqliteStore> {
    const store = new SqliteStore(file, options);
    opened.push(store);
    await store.migrate();
    return store;
  }

  /** A store that ran 30 releases (a few pages of releases and events), closed. */
  async function populated(): Promise<void> {
    const store = await open();
    for (let i = 0; i < 30; i++) {
      const id = `r${String(i).padStart(2, "0")}`;
      await store.createRelease(release(id, { createdAt: 1_000 + i, status: "succeeded" }), [
        event(id, 1_000 + i, "release.created"),
        event(id, 1_001 + i, "rollout.step_started", { service: "api" }),
        event(id, 1_002 + i, "release.succeeded"),
      ]);
    }
    await store.close();
    opened.splice(opened.indexOf(store), 1);
  }

  it("refuses a damaged file when opening it, naming the file and what to do", async () => {
    await populated();
    damageStore(file);
    const error = await failure(() => open());
    expect(error.code).toBe("TANDEM_ERR_STORE_CORRUPT");
    expect(error.message).toContain(`the store ${file} is corrupted`);
    expect(error.hint).toContain("backup");
    expect(error.hint).toContain("`tandem store check`");
    expect(error.hint).toContain("Tandem changed nothing");
  });

  it("reports damage a query runs into as corruption, also without the check at open", async () => {
    await populated();
    damageStore(file);
    // Without the check the damage goes unnoticed by reads that miss the page (the finding)…
    const store = await open({ check: false });
    expect(await store.getRelease("r03")).toMatchObject({ id: "r03" });
    // …and a read that runs into it is named as damage, not as a generic failure.
    const error = await failure(() => store.listEvents({ releaseId: "r03" }));
    expect(error.code).toBe("TANDEM_ERR_STORE_CORRUPT");
    expect(error.message).toContain(file);
  });

  it("refuses a file that is not a database at all", async () => {
    writeFileSync(file, "this is not a database, it is a file someone overwrote ".repeat(200));
    const error = await failure(() => open());
    expect(error.code).toBe("TANDEM_ERR_STORE_CORRUPT");
    expect(error.message).toContain(file);
  });

  it("names a full disk (SQLITE_FULL) with the file, and the failed write leaves nothing behind", () => {
    const connection = new SqliteConnection(file);
    opened.push(connection);
    applyMigrations(connection.db);
    const pages = connection.db.pragma("page_count", { simple: true }) as number;
    // The file may not grow by a single page: as a disk with no space left.
    connection.db.pragma(`max_page_count = ${pages}`);
    const big = release("r1");
    big.services = { api: { note: "x".repeat(64 * 1024) } };
    const error = (() => {
      try {
        guard(
          "createRelease",
          () => createRelease(connection, big, [event("r1", 1_000, "release.created")]),
          {
            file,
            connection,
          },
        );
      } catch (caught) {
        return caught as TandemError;
      }
      throw new Error("the write did not fail");
    })();
    expect(error.code).toBe("TANDEM_ERR_STORE_FULL");
    expect(error.message).toContain(`the store ${file} cannot grow: the disk is full`);
    expect(error.hint).toContain("free space");
    expect(getRelease(connection, "r1")).toBeUndefined();
  });

  it("reads from a read-only store; a write names the read-only file", async () => {
    await populated();
    const store = await open({ readonly: true });
    expect(store.readonly).toBe(true);
    expect((await store.listReleases({ project: "shop" })).length).toBe(30);
    const error = await failure(() => store.createRelease(release("new"), []));
    expect(error.code).toBe("TANDEM_ERR_STORE_READONLY");
    expect(error.message).toContain(`the store ${file} is read-only`);
    expect(error.hint).toContain("reads (status, history, audit, report, registry) still work");
  });

  it.skipIf(process.getuid?.() === 0)("opens a file this user cannot write read-only", async () => {
    await populated();
    chmodSync(file, 0o444);
    chmodSync(dir, 0o555);
    const store = await open();
    expect(store.readonly).toBe(true);
    expect(await store.getRelease("r01")).toMatchObject({ id: "r01" });
    expect((await failure(() => store.createRelease(release("new"), []))).code).toBe(
      "TANDEM_ERR_STORE_READONLY",
    );
  });
});

describe("a release is created with its lease, or not at all", () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tandem-create-lease-"));
    store = new SqliteStore(join(dir, "tandem.db"));
    await store.migrate();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes the lease in the creation's transaction", async () => {
    await store.createRelease(release("r1"), [], undefined, {
      name: "release:r1",
      holder: "me",
      ttlMs: 15_000,
      now: 1_000,
    });
    expect(await store.getRelease("r1")).toMatchObject({ status: "pending" });
    expect(await store.getLease("release:r1")).toEqual({ holder: "me", expiresAt: 16_000 });
  });

  it("does not create the release when the lease cannot be taken", async () => {
    expect(await store.acquireLease("release:r1", "someone-else", 60_000, 1_000)).toBe(true);
    const error = await failure(() =>
      store.createRelease(release("r1"), [event("r1", 1_000, "release.created")], undefined, {
        name: "release:r1",
        holder: "me",
        ttlMs: 15_000,
        now: 1_000,
      }),
    );
    expect(error.code).toBe("TANDEM_ERR_LEASE");
    expect(await store.getRelease("r1")).toBeUndefined();
    expect(await store.listEvents({ releaseId: "r1" })).toEqual([]);
  });
});
