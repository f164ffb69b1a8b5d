import { describe, expect, it } from "vitest";
import { CasConflictError } from "../core/errors.js";
import { event, release } from "./conformance.fixtures.js";
import type { OutboxRouting, Store } from "./types.js";

/**
 * The routing the outbox conformance opens its store with: `ops` takes every event, `failures` only
 * `*.failed`, `digest` takes every event, gathered per release for 60s.
 */
export const CONFORMANCE_OUTBOX_ROUTING: OutboxRouting = {
  route: (e) => ["ops", ...(e.type.endsWith(".failed") ? ["failures"] : []), "digest"],
  digest: (channel) => (channel === "digest" ? 60_000 : 0),
};

const PLAIN = ["ops", "failures"];

/** Conformance: the notification outbox. `store` was opened with CONFORMANCE_OUTBOX_ROUTING. */
export function outboxConformance(store: () => Store): void {
  const claim = (now: number, channels = PLAIN, holder = "d1", leaseMs = 60_000) =>
    store().claimOutbox({ now, holder, leaseMs, channels });

  describe("outbox", () => {
    it("writes one row per routed channel with every event, however the event is written", async () => {
      await store().createRelease(release("r1"), [event("r1", 1_000, "release.created")]);
      await store().writeRelease({
        release: release("r1"),
        expectedRevision: 0,
        events: [event("r1", 2_000, "rollout.failed", { service: "api" })],
      });
      await store().appendEvents([event("r1", 3_000, "command.accepted")]);
      const rows = await store().listOutbox({});
      expect(rows.map((r) => `${r.channel}:${r.event.type}`).sort()).toEqual(
        [
          "digest:release.created",
          "digest:rollout.failed",
          "digest:command.accepted",
          "failures:rollout.failed",
          "ops:release.created",
          "ops:rollout.failed",
          "ops:command.accepted",
        ].sort(),
      );
      expect(rows.every((r) => r.status === "pending" && r.attempts === 0)).toBe(true);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      const failed = rows.find((r) => r.channel === "failures")!;
      expect(failed.event).toMatchObject({ type: "rollout.failed", service: "api", releaseId: "r1" });
      expect(failed.eventSeq).toBe(failed.event.seq);
      expect(failed.nextAttemptAt).toBe(2_000);
    });

    it("writes no outbox row when the event's transaction fails", async () => {
      await store().createRelease(release("r1"), []);
      await expect(
        store().writeRelease({
          release: release("r1"),
          expectedRevision: 7,
          events: [event("r1", 2_000, "rollout.failed")],
        }),
      ).rejects.toBeInstanceOf(CasConflictError);
      expect(await store().listOutbox({})).toEqual([]);
    });

    it("claims due rows once: another holder gets them only after the claim lapses", async () => {
      await store().createRelease(release("r1"), [event("r1", 1_000), event("r1", 5_000)]);
      expect((await claim(999)).length).toBe(0);
      const first = await claim(1_000);
      expect(first.map((r) => r.event.at)).toEqual([1_000]);
      expect((await claim(1_000, PLAIN, "d2")).length).toBe(0);
      const later = await claim(61_000, PLAIN, "d2");
      expect(later.map((r) => r.event.at).sort()).toEqual([1_000, 5_000]);
    });

    it("records delivery, retries (counted), postponements (not counted) and death", async () => {
      await store().createRelease(release("r1"), [
        event("r1", 1_000),
        event("r1", 1_001),
        event("r1", 1_002),
      ]);
      const [a, b, c] = await claim(2_000);
      await store().markOutboxDelivered([a!.id], 2_100);
      await store().retryOutboxLater([b!.id], 10_000, "HTTP 500");
      await store().postponeOutbox([c!.id], 30_000);
      const rows = await store().listOutbox({ channel: "ops" });
      expect(rows.map((r) => [r.status, r.attempts, r.nextAttemptAt, r.lastError ?? null])).toEqual([
        ["delivered", 0, 1_000, null],
        ["pending", 1, 10_000, "HTTP 500"],
        ["pending", 0, 30_000, null],
      ]);
      expect(rows[0]!.deliveredAt).toBe(2_100);
      expect((await claim(9_999)).length).toBe(0);
      expect((await claim(10_000)).map((r) => r.id)).toEqual([b!.id]);
      await store().markOutboxDead([b!.id], "HTTP 500 again");
      const dead = await store().listOutbox({ statuses: ["dead"] });
      expect(dead.map((r) => [r.id, r.attempts, r.lastError])).toEqual([[b!.id, 2, "HTTP 500 again"]]);
      // A delivered row stays delivered.
      await store().retryOutboxLater([a!.id], 99_000, "late");
      expect((await store().listOutbox({ statuses: ["delivered"] })).map((r) => r.id)).toEqual([a!.id]);
    });

    it("keeps the last error short", async () => {
      await store().createRelease(release("r1"), [event("r1", 1_000)]);
      const [row] = await claim(1_000);
      await store().retryOutboxLater([row!.id], 2_000, `boom ${"x".repeat(5_000)}`);
      const [stored] = await store().listOutbox({ channel: "ops" });
      expect(stored!.lastError!.length).toBeLessThanOrEqual(300);
      expect(stored!.lastError!.startsWith("boom x")).toBe(true);
    });

    it("revives dead rows by id or all of them, and counts the backlog per channel and status", async () => {
      await store().createRelease(release("r1"), [event("r1", 1_000), event("r1", 1_001)]);
      const [a, b] = await claim(2_000, ["ops"]);
      await store().markOutboxDead([a!.id, b!.id], "refused");
      expect(await store().reviveOutbox([a!.id, "no-such-id"], 5_000)).toBe(1);
      let ops = await store().listOutbox({ channel: "ops" });
      expect(ops.map((r) => [r.status, r.attempts])).toEqual([
        ["pending", 0],
        ["dead", 1],
      ]);
      expect(ops[0]!.nextAttemptAt).toBe(5_000);
      expect(await store().reviveOutbox(undefined, 6_000)).toBe(1);
      ops = await store().listOutbox({ channel: "ops", statuses: ["pending"] });
      expect(ops.length).toBe(2);
      expect(await store().outboxCounts()).toEqual([
        { channel: "digest", status: "pending", count: 2 },
        { channel: "ops", status: "pending", count: 2 },
      ]);
      expect(await store().nextOutboxAttempt(["ops"])).toBe(5_000);
      expect(await store().nextOutboxAttempt(["nobody"])).toBeUndefined();
    });

    it("holds a digest's rows until the window after the first ends, then claims them as one batch", async () => {
      await store().createRelease(release("r1"), [event("r1", 1_000, "release.created")]);
      await store().appendEvents([event("r1", 20_000, "rollout.started")]);
      await store().createRelease(release("r2"), [event("r2", 30_000, "release.created")]);
      expect((await claim(60_999, ["digest"])).length).toBe(0);
      const batch = await claim(61_000, ["digest"]);
      expect(batch.map((r) => r.releaseId)).toEqual(["r1", "r1"]);
      expect(batch[0]!.batch).toBeDefined();
      expect(batch[1]!.batch).toBe(batch[0]!.batch);
      // Retried, the batch keeps its key and its rows, even when new events of the release arrive.
      await store().retryOutboxLater(
        batch.map((r) => r.id),
        70_000,
        "HTTP 503",
      );
      await store().appendEvents([event("r1", 65_000, "rollout.succeeded")]);
      const again = await claim(70_000, ["digest"]);
      const retried = again.filter((r) => r.batch === batch[0]!.batch);
      expect(retried.map((r) => r.id).sort()).toEqual(batch.map((r) => r.id).sort());
      expect(again.some((r) => r.event.type === "rollout.succeeded")).toBe(false);
    });

    it("flushes a digest at once when the release's final event arrives", async () => {
      await store().createRelease(release("r1"), [event("r1", 1_000, "release.created")]);
      await store().appendEvents([event("r1", 2_000, "rollout.started")]);
      expect((await claim(3_000, ["digest"])).length).toBe(0);
      await store().appendEvents([event("r1", 3_000, "release.succeeded")]);
      const batch = await claim(3_000, ["digest"]);
      expect(batch.map((r) => r.event.type)).toEqual([
        "release.created",
        "rollout.started",
        "release.succeeded",
      ]);
      expect(new Set(batch.map((r) => r.batch)).size).toBe(1);
    });
  });
}
