import { afterEach, describe, expect, it } from "vitest";
import { release, rollout } from "../store/conformance.fixtures.js";
import { backoffCeiling } from "./backoff.js";
import { channel, type Rig, rig } from "./dispatcher.fixtures.js";
import { NotifyTimeoutError } from "./timeout.js";

let current: Rig | undefined;
async function setup(...channels: Parameters<typeof rig>[0]): Promise<Rig> {
  current = await rig(channels);
  return current;
}

afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

describe("Dispatcher", () => {
  it("sends each routed event once, keyed by its outbox id, with the release as it stands and a link", async () => {
    const t = await setup(channel({ link: "https://tandem.example.com/" }));
    await t.store.createRelease(
      {
        ...release("r1", { createdAt: t.clock.now() }),
        rollouts: [{ ...rollout("api", "2.0.0"), weight: 25 }],
      },
      [],
    );
    await t.emit("release.created");
    await t.emit("rollout.weight_changed", { service: "api" }); // not routed (default `on`)
    await t.emit("approval.escalated", { severity: "warning" });
    const report = await t.dispatcher().deliverDue();
    expect(report).toEqual({ delivered: 2, failed: 0, dead: 0, postponed: 0 });
    const ops = t.notifiers.get("ops")!;
    expect(ops.delivered.map((n) => n.events.map((e) => e.type))).toEqual([
      ["release.created"],
      ["approval.escalated"],
    ]);
    const rows = await t.store.listOutbox({});
    expect(rows.map((r) => r.status)).toEqual(["delivered", "delivered"]);
    expect(ops.delivered.map((n) => n.id)).toEqual(rows.map((r) => r.id));
    expect(ops.delivered[0]!.release).toMatchObject({
      id: "r1",
      environment: "staging",
      services: [{ service: "api", version: "2.0.0", weight: 25 }],
    });
    expect(ops.delivered[0]!.url).toBe("https://tandem.example.com/releases/r1");
    expect((await t.dispatcher().deliverDue()).delivered).toBe(0);
  });

  it("retries with exponential backoff and jitter, durably, with the same idempotency key", async () => {
    const t = await setup(channel({ maxAttempts: 20 }));
    const ops = t.notifiers.get("ops")!;
    ops.behaviour = "fail";
    await t.emit("release.failed");
    const dispatcher = t.dispatcher({ breaker: { threshold: 1_000 } });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 12; attempt++) {
      expect((await dispatcher.deliverDue()).failed).toBe(1);
      const [row] = await t.store.listOutbox({});
      expect(row!.attempts).toBe(attempt);
      expect(row!.lastError).toContain("HTTP 500");
      const delay = row!.nextAttemptAt - t.clock.now();
      const ceiling = backoffCeiling(attempt);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
      delays.push(delay);
      // Nothing is attempted before the stored time.
      await t.clock.advance(delay - 1);
      expect((await dispatcher.deliverDue()).failed).toBe(0);
      await t.clock.advance(1);
    }
    expect(backoffCeiling(12)).toBe(300_000);
    expect(delays[0]).toBeLessThanOrEqual(1_000);
    expect(delays[11]).toBeGreaterThanOrEqual(150_000);
    // Jitter: the delays are not exactly the ceilings.
    expect(delays.filter((d, i) => d !== backoffCeiling(i + 1)).length).toBeGreaterThan(0);
    expect(new Set(ops.attempts.map((a) => a.id)).size).toBe(1);
  });

  it("opens the circuit after 5 consecutive failures, attempts nothing while open, recovers half-open", async () => {
    const t = await setup(channel({ on: ["*"] }));
    const ops = t.notifiers.get("ops")!;
    ops.behaviour = "fail";
    for (let i = 0; i < 8; i++) await t.emit("rollout.step_started");
    const dispatcher = t.dispatcher();
    const first = await dispatcher.deliverDue();
    expect(first).toEqual({ delivered: 0, failed: 5, dead: 0, postponed: 3 });
    expect(ops.attempts.length).toBe(5);
    expect(dispatcher.breakerState("ops")).toBe("open");
    const rows = await t.store.listOutbox({});
    expect(rows.map((r) => r.attempts)).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    // The retries fall due within 1s, but the circuit stays open for 30s: no attempt, none counted.
    for (let s = 0; s < 29; s++) {
      await t.clock.advance(1_000);
      await dispatcher.deliverDue();
    }
    expect(ops.attempts.length).toBe(5);
    expect((await t.store.listOutbox({})).map((r) => r.attempts)).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    // Half-open: one trial; it fails, the circuit opens again.
    await t.clock.advance(1_000);
    await dispatcher.deliverDue();
    expect(ops.attempts.length).toBe(6);
    expect(dispatcher.breakerState("ops")).toBe("open");
    expect(dispatcher.breakerOpenings("ops")).toBe(2);
    // The receiver is back: the next trial succeeds, the circuit closes and everything is delivered.
    ops.behaviour = "ok";
    await t.clock.advance(30_000);
    await dispatcher.deliverDue();
    expect(dispatcher.breakerState("ops")).toBe("closed");
    await t.clock.advance(60_000);
    await dispatcher.deliverDue();
    const final = await t.store.listOutbox({});
    expect(final.every((r) => r.status === "delivered")).toBe(true);
    expect(new Set(ops.delivered.map((n) => n.id))).toEqual(new Set(final.map((r) => r.id)));
  });

  it("bounds a hanging attempt by the channel's timeout, aborting the notifier's signal", async () => {
    const t = await setup(channel({ timeout: 2_000 }));
    const ops = t.notifiers.get("ops")!;
    ops.behaviour = "hang";
    await t.emit("release.failed");
    const pass = t.dispatcher().deliverDue();
    await t.clock.advance(1_999);
    expect(ops.aborted).toEqual([]);
    await t.clock.advance(1);
    expect(await pass).toMatchObject({ failed: 1 });
    expect(ops.aborted[0]).toBeInstanceOf(NotifyTimeoutError);
    const [row] = await t.store.listOutbox({});
    expect(row!.lastError).toMatch(/no answer within 2000ms/);
  });

  it("marks a delivery dead after maxAttempts, and `retry` revives it", async () => {
    const t = await setup(channel({ maxAttempts: 3 }));
    const ops = t.notifiers.get("ops")!;
    ops.behaviour = "fail";
    await t.emit("release.failed");
    const dispatcher = t.dispatcher();
    for (let i = 0; i < 5; i++) {
      await dispatcher.deliverDue();
      await t.clock.advance(10_000);
    }
    expect(ops.attempts.length).toBe(3);
    const [dead] = await t.store.listOutbox({ statuses: ["dead"] });
    expect(dead).toMatchObject({ attempts: 3, lastError: "HTTP 500 from receiver" });
    ops.behaviour = "ok";
    expect(await t.store.reviveOutbox([dead!.id], t.clock.now())).toBe(1);
    expect((await dispatcher.deliverDue()).delivered).toBe(1);
    expect(ops.delivered.map((n) => n.id)).toEqual([dead!.id]);
  });

  it("survives a restart: a new dispatcher on the same file delivers what the old one left", async () => {
    const t = await setup(channel({ on: ["*"] }));
    const ops = t.notifiers.get("ops")!;
    ops.behaviour = "fail";
    await t.emit("release.created");
    await t.emit("rollout.started");
    const before = t.dispatcher({ holder: "old" });
    await before.deliverDue();
    // A third row is claimed by the old process, which then dies mid-send.
    await t.emit("release.succeeded");
    await t.store.claimOutbox({ now: t.clock.now(), holder: "old", leaseMs: 40_000, channels: ["ops"] });
    await before.stop();
    await t.store.close();

    await t.reopen();
    ops.behaviour = "ok";
    const after = t.dispatcher({ holder: "new" });
    await t.clock.advance(5_000);
    expect((await after.deliverDue()).delivered).toBe(2);
    // The dead process's claim lapses, then its row is delivered too.
    await t.clock.advance(40_000);
    expect((await after.deliverDue()).delivered).toBe(1);
    const rows = await t.store.listOutbox({});
    expect(rows.map((r) => [r.event.type, r.status])).toEqual([
      ["release.created", "delivered"],
      ["rollout.started", "delivered"],
      ["release.succeeded", "delivered"],
    ]);
  });

  it("runs as a loop woken by new events, and drains within its grace when a channel hangs", async () => {
    const t = await setup(channel({ name: "fast", on: ["*"] }), channel({ name: "slow", on: ["*"] }));
    const slow = t.notifiers.get("slow")!;
    slow.behaviour = "hang";
    const dispatcher = t.dispatcher({ pollIntervalMs: 60_000 });
    dispatcher.start();
    await t.emit("release.created");
    dispatcher.wake();
    await t.clock.advance(0);
    expect(t.notifiers.get("fast")!.delivered.length).toBe(1);
    const started = t.clock.now();
    const drained = dispatcher.drain(5_000);
    await t.clock.advance(5_000);
    await drained;
    expect(t.clock.now() - started).toBe(5_000);
    const slowRows = await t.store.listOutbox({ channel: "slow" });
    // Cancelled by the end of the grace: still pending, the attempt not counted.
    expect(slowRows.map((r) => [r.status, r.attempts])).toEqual([["pending", 0]]);
  });
});
