import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyStoredAudit } from "../../audit/store-verify.js";
import type { AuditDraft } from "../../audit/types.js";
import { parseConfig } from "../../config/loader.js";
import { clearSecrets, redactSecrets } from "../../config/redact.js";
import { CasConflictError } from "../../core/errors.js";
import { command, event, release } from "../conformance.fixtures.js";
import { storeConformanceSuite } from "../conformance.test-suite.js";
import { CONFORMANCE_OUTBOX_ROUTING } from "../conformance-outbox.test-suite.js";
import { openStore } from "../index.js";
import type { StoreOptions, TokenRecord } from "../types.js";
import { startTestPostgres, type TestPostgres } from "./embedded.fixtures.js";
import { PG_MIGRATIONS } from "./migrations.js";
import { PostgresStore } from "./store.js";

let server: TestPostgres | undefined;

beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function running(): TestPostgres {
  if (!server) throw new Error("the test PostgreSQL did not start (beforeAll)");
  return server;
}

storeConformanceSuite("postgres", async (options) => {
  const url = await running().createDatabase();
  const store = new PostgresStore(url, options);
  return { store, cleanup: () => running().dropDatabase(url) };
});

const draft = (action: string, actor = "alice", at = 1_000): AuditDraft => ({
  at,
  actor,
  origin: "cli",
  action,
  subject: "r1",
});

describe("PostgresStore specifics", () => {
  let url: string;
  const opened: PostgresStore[] = [];
  const clients: pg.Client[] = [];

  /** A store of its own pool: as another process would hold one. */
  async function open(options: StoreOptions = {}, migrate = true): Promise<PostgresStore> {
    const store = new PostgresStore(url, options);
    opened.push(store);
    if (migrate) await store.migrate();
    return store;
  }

  async function raw(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    clients.push(client);
    await client.connect();
    return client;
  }

  async function fresh(): Promise<void> {
    url = await running().createDatabase();
  }

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    for (const client of clients.splice(0)) await client.end();
    clearSecrets();
    if (url) await running().dropDatabase(url);
  });

  describe("migrations", () => {
    it("records each applied migration once, across reopens", async () => {
      await fresh();
      const first = await open({}, false);
      expect((await first.applyMigrations()).map((m) => m.version)).toEqual(
        PG_MIGRATIONS.map((m) => m.version),
      );
      expect(await first.applyMigrations()).toEqual([]);
      const second = await open({}, false);
      expect(await second.applyMigrations()).toEqual([]);
      const rows = await (await raw()).query("SELECT version, name FROM schema_migrations ORDER BY version");
      expect(rows.rows).toEqual(PG_MIGRATIONS.map(({ version, name }) => ({ version, name })));
    });

    it("lets one of several stores starting at once migrate; the others find the schema current", async () => {
      await fresh();
      const stores = await Promise.all(Array.from({ length: 4 }, () => open({}, false)));
      const applied = await Promise.all(stores.map((store) => store.applyMigrations()));
      expect(applied.filter((list) => list.length > 0)).toHaveLength(1);
      expect(applied.flat().map((m) => m.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
      await stores[0]?.createRelease(release("r1"), []);
      expect((await stores[3]?.getRelease("r1"))?.id).toBe("r1");
    });

    it("refuses a database whose schema is newer than this tandem knows", async () => {
      await fresh();
      await open();
      await (await raw()).query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)",
      );
      const store = await open({}, false);
      await expect(store.migrate()).rejects.toMatchObject({
        code: "TANDEM_ERR_STORE",
        message: expect.stringMatching(/schema version 99, newer than this tandem knows/),
      });
    });

    it("is opened and migrated by openStore from a `store: {type: postgres}` configuration", async () => {
      await fresh();
      const store = await openStore({ type: "postgres", url });
      opened.push(store as PostgresStore);
      await store.createRelease(release("r1"), [event("r1", 1_000)]);
      expect((await store.listEvents({ releaseId: "r1" })).map((e) => e.seq)).toEqual([1]);
    });
  });

  describe("several writers (each store its own pool, as separate processes)", () => {
    it("lets exactly one of five writers of the same revision win", async () => {
      await fresh();
      const stores = await Promise.all(Array.from({ length: 5 }, () => open()));
      await stores[0]?.createRelease(release("r1"), []);
      const results = await Promise.allSettled(
        stores.map(async (store, index) => {
          const read = (await store.getRelease("r1"))!;
          read.updatedAt = 2_000 + index;
          await store.writeRelease({
            release: read,
            expectedRevision: 0,
            events: [event("r1", 2_000 + index, "rollout.started", { data: { writer: index } })],
          });
          return index;
        }),
      );
      const won = results.filter((result) => result.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const result of results) {
        if (result.status === "rejected") expect(result.reason).toBeInstanceOf(CasConflictError);
      }
      const winner = (won[0] as PromiseFulfilledResult<number>).value;
      const stored = await stores[1]?.getRelease("r1");
      expect(stored).toMatchObject({ revision: 1, updatedAt: 2_000 + winner });
      expect((await stores[2]?.listEvents({ releaseId: "r1" }))?.map((e) => e.data)).toEqual([
        { writer: winner },
      ]);
    });

    it("keeps one audit chain with several writers at once", async () => {
      await fresh();
      const stores = await Promise.all(Array.from({ length: 3 }, () => open()));
      await stores[0]?.createRelease(release("r1"), [], [draft("release.created")]);
      await Promise.all(
        stores.flatMap((store, writer) =>
          Array.from({ length: 10 }, (_, n) =>
            n % 2 === 0
              ? store.appendAudit([draft(`a.${writer}.${n}`), draft(`b.${writer}.${n}`)])
              : store.addCommand(command(`c-${writer}-${n}`, "r1", 2_000 + n), [draft(`c.${writer}.${n}`)]),
          ),
        ),
      );
      const verdict = await verifyStoredAudit(stores[1] as PostgresStore);
      expect(verdict).toMatchObject({ ok: true, count: 1 + 3 * (5 * 2 + 5) });
      const entries = await stores[2]!.allAudit();
      expect(entries.map((e) => e.seq)).toEqual(entries.map((_, index) => index + 1));
      expect(await stores[0]?.auditHead()).toEqual({ seq: entries.length, hash: entries.at(-1)?.hash });
    });

    it("gives every event a distinct seq, visible in ascending order, with several appenders", async () => {
      await fresh();
      const stores = await Promise.all(Array.from({ length: 3 }, () => open()));
      await stores[0]?.createRelease(release("r1"), []);
      const seen: number[] = [];
      let reading = true;
      // A reader tailing `afterSeq` while the writers append must not skip any seq.
      const tail = (async () => {
        let after = 0;
        const deadline = Date.now() + 30_000;
        while ((reading || after < 60) && Date.now() < deadline) {
          const page = await stores[0]!.listEvents({ releaseId: "r1", afterSeq: after });
          for (const e of page) seen.push(e.seq ?? -1);
          after = page.at(-1)?.seq ?? after;
        }
      })();
      await Promise.all(
        stores.flatMap((store, writer) =>
          Array.from({ length: 10 }, (_, n) =>
            store.appendEvents([
              event("r1", n, "rollout.step_started"),
              event("r1", n, "rollout.step_started", { data: { writer } }),
            ]),
          ),
        ),
      );
      reading = false;
      await tail;
      expect(seen).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
    });

    it("gives each due outbox row to one of several dispatchers claiming at once", async () => {
      await fresh();
      const stores = await Promise.all(
        Array.from({ length: 3 }, () => open({ outbox: CONFORMANCE_OUTBOX_ROUTING })),
      );
      await stores[0]?.createRelease(release("r1"), []);
      await stores[0]?.appendEvents(
        Array.from({ length: 30 }, (_, n) => event("r1", 1_000 + n, "rollout.step_started")),
      );
      const claims = await Promise.all(
        stores.map((store, index) =>
          store.claimOutbox({
            now: 5_000,
            holder: `d${index}`,
            leaseMs: 60_000,
            channels: ["ops"],
            limit: 12,
          }),
        ),
      );
      const ids = claims.flat().map((delivery) => delivery.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(30);
      expect(
        await stores[1]?.claimOutbox({ now: 5_000, holder: "late", leaseMs: 1, channels: ["ops"] }),
      ).toEqual([]);
    });

    it("claims a digest group as one batch, once, with several dispatchers at once", async () => {
      await fresh();
      const stores = await Promise.all(
        Array.from({ length: 3 }, () => open({ outbox: CONFORMANCE_OUTBOX_ROUTING })),
      );
      await stores[0]?.createRelease(release("r1"), [event("r1", 1_000, "release.created")]);
      await stores[0]?.appendEvents([event("r1", 2_000), event("r1", 3_000)]);
      const claims = await Promise.all(
        stores.map((store, index) =>
          store.claimOutbox({ now: 100_000, holder: `d${index}`, leaseMs: 60_000, channels: ["digest"] }),
        ),
      );
      const nonEmpty = claims.filter((claim) => claim.length > 0);
      expect(nonEmpty).toHaveLength(1);
      expect(nonEmpty[0]).toHaveLength(3);
      expect(new Set(nonEmpty[0]?.map((d) => d.batch)).size).toBe(1);
    });

    it("grants a free lease to one of several takers, and moves its epoch only when the holder changes", async () => {
      await fresh();
      const stores = await Promise.all(Array.from({ length: 5 }, () => open()));
      const granted = await Promise.all(
        stores.map((store, index) => store.acquireLease("engine", `e${index}`, 1_000, 10_000)),
      );
      expect(granted.filter(Boolean)).toHaveLength(1);
      const holder = `e${granted.indexOf(true)}`;
      const store = stores[0] as PostgresStore;
      const first = (await store.leaseEpoch("engine"))!;
      expect(await store.acquireLease("engine", holder, 1_000, 10_500)).toBe(true);
      expect(await store.leaseEpoch("engine")).toBe(first);
      expect(await store.acquireLease("engine", "other", 1_000, 20_000)).toBe(true);
      const second = (await store.leaseEpoch("engine"))!;
      expect(second).toBeGreaterThan(first);
      await store.releaseLease("engine", "other");
      expect(await store.acquireLease("engine", holder, 1_000, 20_001)).toBe(true);
      expect(await store.leaseEpoch("engine")).toBeGreaterThan(second);
    });
  });

  describe("tokens", () => {
    const token = (name: string, hash: string, createdAt = 1_000): TokenRecord => ({
      id: `id-${name}`,
      name,
      role: "deployer",
      actor: name,
      environments: ["staging"],
      hash,
      createdAt,
    });

    it("stores, finds by hash, lists oldest first, refuses a name twice and revokes with its audit entry", async () => {
      await fresh();
      const store = await open();
      await store.putToken(token("ci", "h1"), [draft("token.created")]);
      await store.putToken(token("bot", "h2", 1_000));
      await expect(store.putToken(token("ci", "h3"))).rejects.toMatchObject({
        code: "TANDEM_ERR_INVALID_REQUEST",
      });
      expect(await store.tokenByHash("h2")).toEqual(token("bot", "h2"));
      expect((await store.listTokens()).map((t) => t.name)).toEqual(["ci", "bot"]);
      expect(await store.revokeToken("ci", 5_000, [draft("token.revoked")])).toBe(true);
      expect(await store.revokeToken("id-ci", 6_000, [draft("token.revoked.again")])).toBe(false);
      expect((await store.tokenByHash("h1"))?.revokedAt).toBe(5_000);
      expect((await store.allAudit()).map((e) => e.action)).toEqual(["token.created", "token.revoked"]);
    });

    it("refuses one of two tokens of one name written at once", async () => {
      await fresh();
      const [a, b] = await Promise.all([open(), open()]);
      const results = await Promise.allSettled([
        a!.putToken(token("ci", "h1")),
        b!.putToken({ ...token("ci", "h2"), id: "id-other" }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "TANDEM_ERR_INVALID_REQUEST" });
    });
  });

  describe("append-only tables and checks", () => {
    it("refuses to update or delete events and audit entries, even with SQL", async () => {
      await fresh();
      const store = await open();
      await store.createRelease(release("r1"), [event("r1", 1_000)], [draft("release.created")]);
      const client = await raw();
      await expect(client.query("UPDATE events SET message = 'x'")).rejects.toThrow(/append-only/);
      await expect(client.query("DELETE FROM audit")).rejects.toThrow(/append-only/);
      await expect(client.query("TRUNCATE audit")).rejects.toThrow(/append-only/);
      await expect(client.query("UPDATE audit_head SET seq = 0")).rejects.toThrow(/only moves forward/);
    });

    it("checks the schema (quick) and the audit chain (full)", async () => {
      await fresh();
      const unmigrated = await open({}, false);
      expect((await unmigrated.checkIntegrity("quick")).join("\n")).toMatch(/schema version 0, expected 1/);
      const store = await open();
      await store.appendAudit([draft("one"), draft("two")]);
      expect(await store.checkIntegrity("quick")).toEqual([]);
      expect(await store.checkIntegrity("full")).toEqual([]);
      // The test server's user owns the tables: it can lift the guard, as an attacker with that role could.
      const client = await raw();
      await client.query("ALTER TABLE audit DISABLE TRIGGER USER");
      await client.query("UPDATE audit SET actor = 'mallory' WHERE seq = 1");
      expect(await store.checkIntegrity("quick")).toEqual([]);
      expect((await store.checkIntegrity("full")).join("\n")).toMatch(/audit chain broken at entry 1/);
    });

    it("opened read-only, reads and refuses writes with TANDEM_ERR_STORE_READONLY", async () => {
      await fresh();
      const writer = await open();
      await writer.createRelease(release("r1"), []);
      const reader = await open({ readonly: true });
      expect((await reader.getRelease("r1"))?.id).toBe("r1");
      await expect(reader.appendEvents([event("r1", 2_000)])).rejects.toMatchObject({
        code: "TANDEM_ERR_STORE_READONLY",
      });
    });
  });

  describe("the url is a secret", () => {
    it("names the server with the password masked when it cannot connect or log in", async () => {
      const { password, port } = running();
      url = "";
      const wrongPassword = new PostgresStore(`postgres://tandem:not-${password}@127.0.0.1:${port}/postgres`);
      opened.push(wrongPassword);
      const refused = await wrongPassword.migrate().then(
        () => undefined,
        (error: unknown) => error as Error & { hint?: string },
      );
      expect(refused).toMatchObject({
        code: "TANDEM_ERR_STORE",
        message: expect.stringContaining("tandem:***@127.0.0.1"),
      });
      expect(`${refused?.message} ${refused?.hint} ${refused?.stack}`).not.toContain(password);
      expect(refused?.hint).toMatch(/user and password/);
      const closedPort = new PostgresStore(`postgres://tandem:${password}@127.0.0.1:1/postgres`);
      opened.push(closedPort);
      const unreachable = await closedPort.getLease("x").then(
        () => undefined,
        (error: unknown) => error as Error & { hint?: string },
      );
      expect(`${unreachable?.message} ${unreachable?.hint}`).not.toContain(password);
      expect(unreachable?.hint).toMatch(/running and reachable/);
    });

    it("is a secret of the configuration: masked wherever Tandem redacts text", () => {
      const secretUrl = "postgres://tandem:s3cret-pw@db.internal:5432/tandem";
      const config = parseConfig(
        'project: shop\nstore: { type: postgres, url: "${env:DATABASE_URL}" }\nenvironments: { staging: {} }\nservices: { api: { target: { type: sim } } }\n',
        "/project/tandem.yaml",
        { env: { DATABASE_URL: secretUrl } },
      );
      expect(config.store).toEqual({ type: "postgres", url: secretUrl });
      expect(redactSecrets(`connecting to ${secretUrl}`)).not.toContain("s3cret-pw");
      expect(redactSecrets("password s3cret-pw")).not.toContain("s3cret-pw");
      expect(() =>
        parseConfig("project: shop\nstore: { type: postgres, url: mysql://x }\n", "/project/tandem.yaml"),
      ).toThrow(/expected a postgres:\/\//);
    });
  });
});
