import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyStoredAudit } from "../audit/store-verify.js";
import { event, release, rollout } from "./conformance.fixtures.js";
import { SqliteStore } from "./sqlite.js";
import { BATCH_ROWS } from "./sqlite-batch.js";

describe("multi-row inserts (sqlite-batch)", () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tandem-batch-"));
    store = new SqliteStore(join(dir, "tandem.db"));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("gives each event of full batches and of the rest the seq it is stored under, in order", async () => {
    await store.appendEvents([event("r0", 1)]);
    const count = 2 * BATCH_ROWS + 5;
    const events = Array.from({ length: count }, (_, i) =>
      event("r1", 10 + i, "rollout.step_started", { service: `s${i}`, data: { i } }),
    );
    await store.appendEvents(events);
    const stored = await store.listEvents({ releaseId: "r1" });
    expect(stored).toHaveLength(count);
    stored.forEach((row, i) => {
      expect(row.seq).toBe(events[i]?.seq);
      expect(row).toMatchObject({ at: 10 + i, service: `s${i}`, data: { i } });
    });
    expect(new Set(events.map((e) => e.seq)).size).toBe(count);
  });

  it("chains audit entries written in batches", async () => {
    const drafts = Array.from({ length: BATCH_ROWS + 3 }, (_, i) => ({
      at: 1_000 + i,
      actor: "alice",
      origin: "cli" as const,
      action: "release.create",
      subject: `r${i}`,
      ...(i % 2 === 0 ? { reason: `because ${i}`, data: { i } } : {}),
    }));
    await store.appendAudit(drafts);
    expect(await verifyStoredAudit(store)).toMatchObject({ ok: true, count: BATCH_ROWS + 3 });
    const entries = await store.allAudit();
    expect(entries[4]).toMatchObject({ seq: 5, subject: "r4", reason: "because 4", data: { i: 4 } });
    expect(entries[5]?.reason).toBeUndefined();
  });

  it("writes changed rollouts in batches, and a batch naming a rollout the release lacks writes nothing", async () => {
    const count = 2 * BATCH_ROWS + 3;
    const services = Array.from({ length: count }, (_, i) => `s${i}`);
    await store.createRelease(release("r1", { rollouts: services.map((s) => rollout(s, "2.0.0")) }), []);
    const next = (await store.getRelease("r1"))!;
    const changed = services.filter((_, i) => i !== 5);
    next.rollouts = next.rollouts.map((r) =>
      r.service === "s5" ? r : { ...r, status: "running", weight: 25 },
    );
    await store.writeRelease({ release: next, expectedRevision: 0, changedRollouts: changed });
    const stored = (await store.getRelease("r1"))!;
    expect(stored.rollouts.map((r) => r.service)).toEqual(services);
    stored.rollouts.forEach((r) => {
      expect(r.status).toBe(r.service === "s5" ? "pending" : "running");
    });
    const bad = { ...stored, rollouts: stored.rollouts.map((r) => ({ ...r, status: "paused" as const })) };
    const named = [...services.slice(0, 10), "nope", ...services.slice(10, BATCH_ROWS)];
    await expect(
      store.writeRelease({ release: bad, expectedRevision: 1, changedRollouts: named }),
    ).rejects.toThrow(/changed rollout nope/);
    expect((await store.getRelease("r1"))!.rollouts.every((r) => r.status !== "paused")).toBe(true);
  });
});
