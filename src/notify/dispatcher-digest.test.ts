import { afterEach, describe, expect, it } from "vitest";
import { channel, type Rig, rig } from "./dispatcher.fixtures.js";

let t: Rig;
afterEach(async () => {
  await t.cleanup();
});

describe("Dispatcher digests", () => {
  it("gathers one release's events and sends them as one notification when the release ends", async () => {
    t = await rig([channel({ name: "digest", on: ["*"], digest: 600_000 })]);
    const digest = t.notifiers.get("digest")!;
    const dispatcher = t.dispatcher();
    await t.emit("release.created");
    await t.clock.advance(1_000);
    await t.emit("rollout.started", { service: "api" });
    await t.emit("release.created", { releaseId: "r2" });
    await t.clock.advance(60_000);
    expect((await dispatcher.deliverDue()).delivered).toBe(0);
    await t.emit("rollout.succeeded", { service: "api" });
    await t.emit("release.succeeded");
    expect((await dispatcher.deliverDue()).delivered).toBe(1);
    expect(digest.delivered.length).toBe(1);
    const [sent] = digest.delivered;
    expect(sent!.events.map((e) => e.type)).toEqual([
      "release.created",
      "rollout.started",
      "rollout.succeeded",
      "release.succeeded",
    ]);
    expect(sent!.events.every((e) => e.releaseId === "r1")).toBe(true);
    const rows = await t.store.listOutbox({ releaseId: "r1" });
    expect(rows.every((r) => r.status === "delivered" && r.batch === sent!.id)).toBe(true);
    // r2's digest still waits for its window.
    expect((await t.store.listOutbox({ releaseId: "r2" })).map((r) => r.status)).toEqual(["pending"]);
  });

  it("sends a digest when its window ends, with one idempotency key over every retry", async () => {
    t = await rig([channel({ name: "digest", on: ["*"], digest: 30_000 })]);
    const digest = t.notifiers.get("digest")!;
    digest.behaviour = "fail";
    const dispatcher = t.dispatcher();
    await t.emit("release.created");
    await t.clock.advance(10_000);
    await t.emit("rollout.started");
    await t.clock.advance(19_999);
    expect((await dispatcher.deliverDue()).failed).toBe(0);
    await t.clock.advance(1);
    expect((await dispatcher.deliverDue()).failed).toBe(1);
    // An event after the batch formed waits for the next digest; the batch is retried as it was.
    await t.emit("rollout.step_started");
    digest.behaviour = "ok";
    await t.clock.advance(2_000);
    await dispatcher.deliverDue();
    expect(digest.attempts.map((a) => a.events)).toEqual([
      ["release.created", "rollout.started"],
      ["release.created", "rollout.started"],
    ]);
    expect(digest.attempts[1]!.id).toBe(digest.attempts[0]!.id);
    await t.clock.advance(30_000);
    await dispatcher.deliverDue();
    expect(digest.delivered.map((n) => n.events.map((e) => e.type))).toEqual([
      ["release.created", "rollout.started"],
      ["rollout.step_started"],
    ]);
    expect(digest.delivered[1]!.id).not.toBe(digest.delivered[0]!.id);
  });
});
