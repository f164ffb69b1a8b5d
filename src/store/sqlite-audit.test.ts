import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyStoredAudit } from "../audit/store-verify.js";
import type { AuditDraft } from "../audit/types.js";
import { clearSecrets, registerSecret } from "../config/redact.js";
import { command, event, release } from "./conformance.fixtures.js";
import { SqliteStore } from "./sqlite.js";

const draft = (action: string, actor = "alice", at = 1_000): AuditDraft => ({
  at,
  actor,
  origin: "cli",
  action,
  subject: "r1",
});

describe("SqliteStore audit trail", () => {
  let dir: string;
  let file: string;
  const opened: { close(): unknown }[] = [];

  async function open(options: ConstructorParameters<typeof SqliteStore>[1] = {}): Promise<SqliteStore> {
    const store = new SqliteStore(file, options);
    opened.push(store);
    await store.migrate();
    return store;
  }

  function raw(): Database.Database {
    const db = new Database(file, { timeout: 5000 });
    opened.push(db);
    return db;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tandem-audit-store-"));
    file = join(dir, "tandem.db");
  });

  afterEach(async () => {
    for (const handle of opened.splice(0)) await handle.close();
    clearSecrets();
    await rm(dir, { recursive: true, force: true });
  });

  it("chains entries written with releases, commands, engine writes and on their own, and records the head", async () => {
    const store = await open();
    await store.createRelease(release("r1"), [event("r1", 1_000)], [draft("release.created")]);
    await store.addCommand(command("c1", "r1", 2_000, "approve"), [draft("release.approve", "bob", 2_000)]);
    const stored = (await store.getRelease("r1"))!;
    await store.writeRelease({
      release: { ...stored, status: "succeeded" },
      expectedRevision: 0,
      audit: [draft("release.succeeded", "tandem-engine", 3_000)],
    });
    await store.appendAudit([draft("token.created", "admin", 4_000)]);
    const entries = await store.listAudit();
    expect(entries.map((e) => [e.seq, e.action, e.actor])).toEqual([
      [1, "release.created", "alice"],
      [2, "release.approve", "bob"],
      [3, "release.succeeded", "tandem-engine"],
      [4, "token.created", "admin"],
    ]);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(await store.auditHead()).toEqual({ seq: 4, hash: entries[3]!.hash });
    expect(await verifyStoredAudit(store)).toMatchObject({ ok: true, count: 4 });
  });

  it("writes nothing to the audit log when the change it belongs to fails", async () => {
    const store = await open();
    await store.createRelease(release("r1"), [], [draft("release.created")]);
    await expect(store.createRelease(release("r1"), [], [draft("release.created")])).rejects.toThrow(
      /already exists/,
    );
    await expect(store.addCommand(command("c1", "nope", 2_000), [draft("release.abort")])).rejects.toThrow();
    await expect(
      store.writeRelease({
        release: (await store.getRelease("r1"))!,
        expectedRevision: 7,
        audit: [draft("x")],
      }),
    ).rejects.toThrow();
    expect((await store.listAudit()).map((e) => e.seq)).toEqual([1]);
  });

  it("refuses UPDATE and DELETE of audit rows, and moving the head back, through SQL", async () => {
    const store = await open();
    await store.appendAudit([draft("a"), draft("b")]);
    const db = raw();
    expect(() => db.prepare("UPDATE audit SET reason = 'edited' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM audit WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE audit_head SET seq = 1").run()).toThrow(/only moves forward/);
    expect(() => db.prepare("DELETE FROM audit_head").run()).toThrow(/cannot be deleted/);
    expect((await store.listAudit()).map((e) => e.action)).toEqual(["a", "b"]);
  });

  it("filters by actor, action family, subject, origin, since, and keeps the newest `limit`", async () => {
    const store = await open();
    await store.appendAudit([
      draft("release.created", "alice", 1_000),
      draft("release.approve", "bob", 2_000),
      { ...draft("registry.version_published", "bob", 3_000), subject: "api@2.0.0", origin: "api" },
      draft("release.abort", "bob", 4_000),
    ]);
    const actions = async (filter: Parameters<SqliteStore["listAudit"]>[0]) =>
      (await store.listAudit(filter)).map((e) => e.action);
    expect(await actions({ actor: "bob" })).toEqual([
      "release.approve",
      "registry.version_published",
      "release.abort",
    ]);
    expect(await actions({ action: "release" })).toEqual([
      "release.created",
      "release.approve",
      "release.abort",
    ]);
    expect(await actions({ action: "release.approve" })).toEqual(["release.approve"]);
    expect(await actions({ action: "rel" })).toEqual([]);
    expect(await actions({ subject: "api@2.0.0" })).toEqual(["registry.version_published"]);
    expect(await actions({ origin: "api" })).toEqual(["registry.version_published"]);
    expect(await actions({ since: 3_000 })).toEqual(["registry.version_published", "release.abort"]);
    expect(await actions({ limit: 2 })).toEqual(["registry.version_published", "release.abort"]);
  });

  it("stores secret placeholders, never the secret, in reason and data", async () => {
    registerSecret("s3cr3t-token-value", "SLACK_TOKEN");
    const store = await open();
    await store.appendAudit([
      {
        ...draft("settings.changed"),
        reason: "rotated s3cr3t-token-value",
        data: { url: "https://hooks/s3cr3t-token-value", list: ["s3cr3t-token-value"] },
      },
    ]);
    const text = JSON.stringify(raw().prepare("SELECT * FROM audit").all());
    expect(text).not.toContain("s3cr3t-token-value");
    expect(text).toContain(`$${"{"}secret:SLACK_TOKEN}`);
    expect(await verifyStoredAudit(store)).toMatchObject({ ok: true, count: 1 });
  });

  it("records a notification retry with the revival, and nothing when nothing was dead", async () => {
    const store = await open({ outbox: { route: () => ["slack"] } });
    await store.createRelease(release("r1"), [event("r1", 1_000)]);
    const claimed = await store.claimOutbox({
      now: 1_000,
      holder: "me",
      leaseMs: 1_000,
      channels: ["slack"],
    });
    await store.markOutboxDead(
      claimed.map((d) => d.id),
      "down",
    );
    expect(await store.reviveOutbox(undefined, 2_000, [draft("notification.retry")])).toBe(1);
    expect(await store.reviveOutbox(undefined, 3_000, [draft("notification.retry")])).toBe(0);
    expect((await store.listAudit()).map((e) => [e.seq, e.action])).toEqual([[1, "notification.retry"]]);
    expect((await store.listOutbox({ statuses: ["pending"] })).length).toBe(1);
  });

  it("refuses an unknown origin", async () => {
    const store = await open();
    await expect(store.appendAudit([{ ...draft("a"), origin: "web" as never }])).rejects.toThrow(/origin/);
    expect(await store.listAudit()).toEqual([]);
  });
});
