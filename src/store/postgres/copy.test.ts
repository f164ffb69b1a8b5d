import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { command, event, release } from "../conformance.fixtures.js";
import { CONFORMANCE_OUTBOX_ROUTING } from "../conformance-outbox.test-suite.js";
import { SqliteStore } from "../sqlite.js";
import { copySqliteToPostgres } from "./copy.js";
import { startTestPostgres, type TestPostgres } from "./embedded.fixtures.js";
import { PostgresStore } from "./store.js";

let server: TestPostgres | undefined;
let dir = "";

beforeAll(async () => {
  server = await startTestPostgres();
  dir = await mkdtemp(join(tmpdir(), "tandem-copy-"));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("copies a SQLite store into an empty PostgreSQL one, verified, and refuses a non-empty target", async () => {
  const file = join(dir, "tandem.db");
  const source = new SqliteStore(file, { outbox: CONFORMANCE_OUTBOX_ROUTING });
  await source.migrate();
  const draft = {
    at: 1_000,
    actor: "alice",
    origin: "cli" as const,
    action: "release.created",
    subject: "r1",
  };
  await source.createRelease(release("r1"), [event("r1", 1_000, "release.created")], [draft]);
  await source.addCommand(command("c1", "r1", 2_000), [{ ...draft, action: "release.abort" }]);
  await source.close();
  const url = await server!.createDatabase();
  const report = await copySqliteToPostgres(file, url);
  expect(report.target).not.toContain(server!.password);
  for (const count of report.tables) expect(count.target).toBe(count.source);
  expect(report.tables.find((t) => t.table === "outbox")?.source).toBe(2);
  expect(report.audit).toMatchObject({ chainVerified: true, entries: 2 });
  expect(report.audit.target).toEqual(report.audit.source);
  const target = new PostgresStore(url, { outbox: CONFORMANCE_OUTBOX_ROUTING });
  try {
    expect((await target.getRelease("r1"))?.rollouts).toHaveLength(1);
    await target.appendEvents([event("r1", 3_000)]);
    expect((await target.listEvents({ releaseId: "r1" })).map((e) => e.seq)).toEqual([1, 2]);
    expect((await target.appendAudit([{ ...draft, action: "later" }]))[0]?.seq).toBe(3);
  } finally {
    await target.close();
  }
  await expect(copySqliteToPostgres(file, url)).rejects.toMatchObject({
    code: "TANDEM_ERR_INVALID_REQUEST",
    message: expect.stringMatching(/is not empty/),
  });
});
