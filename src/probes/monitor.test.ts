import { afterEach, describe, expect, it } from "vitest";
import { type Clock, ManualClock } from "../core/clock.js";
import type { ProbeConfig, ProbeTiming } from "../core/config.js";
import type { Endpoint } from "../core/types.js";
import { ProbeMonitor } from "./monitor.js";
import type { Probe, ProbeResult } from "./types.js";

type Step = "ok" | "fail" | "hang" | "pending";

/** A probe that plays a script of outcomes, one per check (the last one repeats). */
class ScriptedProbe implements Probe {
  readonly config: ProbeConfig;
  readonly checkedAt: number[] = [];
  readonly abortedChecks: number[] = [];

  constructor(
    readonly name: string,
    private readonly script: Step[],
    private readonly clock: ManualClock,
    timing: Partial<ProbeTiming> = {},
  ) {
    this.config = {
      type: "tcp",
      name,
      initialDelay: 0,
      period: 1_000,
      timeout: 500,
      failureThreshold: 3,
      successThreshold: 1,
      ...timing,
    };
  }

  check(_endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const index = this.checkedAt.length;
    this.checkedAt.push(this.clock.now() - START);
    const step = this.script[Math.min(index, this.script.length - 1)] ?? "ok";
    if (step === "hang") {
      return new Promise((resolve) =>
        signal.addEventListener("abort", () => {
          this.abortedChecks.push(index);
          resolve({ ok: false, message: "aborted", durationMs: 0 });
        }),
      );
    }
    if (step === "pending") {
      return Promise.resolve({ ok: false, pending: true, message: `${this.name}: deploying`, durationMs: 1 });
    }
    return Promise.resolve({
      ok: step === "ok",
      message: `${this.name} check #${index + 1}: ${step}`,
      durationMs: 1,
    });
  }
}

const START = Date.UTC(2026, 0, 1);
const endpoint: Endpoint = {
  id: "api-1.0.0-aaaaaa",
  version: "1.0.0",
  host: "127.0.0.1",
  port: 4101,
  startedAt: START,
};
const other: Endpoint = { ...endpoint, id: "api-1.0.0-bbbbbb", port: 4102 };

/** Lets the monitor's loops run their pending promise callbacks. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

let monitor: ProbeMonitor | undefined;

function monitorWith(probes: Probe[], clock: ManualClock): ProbeMonitor {
  monitor = new ProbeMonitor(probes, clock);
  return monitor;
}

afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
});

describe("ProbeMonitor", () => {
  it("waits initialDelay before the first check, then checks every period", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["ok"], clock, { initialDelay: 5_000, period: 2_000 });
    monitorWith([probe], clock).watch([endpoint]);
    await settle();

    await clock.advance(4_999);
    expect(probe.checkedAt).toEqual([]);
    await clock.advance(1);
    expect(probe.checkedAt).toEqual([5_000]);
    await clock.advance(6_000);
    expect(probe.checkedAt).toEqual([5_000, 7_000, 9_000, 11_000]);
  });

  it("keeps its rounds on the period's grid when its timers fire late (a busy event loop)", async () => {
    const clock = new ManualClock(START);
    // Every sleep of the monitor ends 100 ms after it was due, as a timer does behind a busy loop.
    const late: Clock = { now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms + 100, signal) };
    const probe = new ScriptedProbe("http", ["ok"], clock);
    monitor = new ProbeMonitor([probe], late);
    monitor.watch([endpoint]);
    await settle();

    await clock.advance(4_500);
    // Late by 100 ms each, never more: not 0, 1,100, 2,200, 3,300, 4,400.
    expect(probe.checkedAt).toEqual([0, 1_100, 2_100, 3_100, 4_100]);
  });

  it("drops the rounds a check longer than the period made it miss, instead of running them back to back", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["ok", "hang", "ok"], clock, { timeout: 2_500 });
    monitorWith([probe], clock).watch([endpoint]);
    await settle();

    await clock.advance(5_000);
    // The second check hangs until its timeout (1,000 + 2,500); the next rounds follow from then on.
    expect(probe.checkedAt).toEqual([0, 1_000, 3_500, 4_500]);
  });

  it("a pending check (a target still deploying) makes its round count neither way", async () => {
    const clock = new ManualClock(START);
    const target = new ScriptedProbe("command", ["pending", "pending", "pending", "pending", "ok"], clock);
    // The service's own probe fails while the deployment is not there yet: it must not count.
    const http = new ScriptedProbe("http", ["fail", "fail", "fail", "fail", "ok"], clock, {
      failureThreshold: 3,
    });
    const monitor = monitorWith([target, http], clock);
    monitor.watch([endpoint]);
    await settle();

    for (let round = 2; round <= 4; round++) await clock.advance(1_000);
    expect(monitor.health(endpoint.id)).toMatchObject({
      state: "starting",
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      lastResult: { probe: "command", pending: true, message: "command: deploying" },
    });
    await clock.advance(1_000);
    expect(monitor.health(endpoint.id)?.state).toBe("ready");
  });

  it("becomes ready after exactly successThreshold consecutive successful rounds", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["ok", "fail", "ok", "ok", "ok"], clock, { successThreshold: 3 });
    const monitor = monitorWith([probe], clock);
    monitor.watch([endpoint]);
    await settle();

    const states: string[] = [monitor.health(endpoint.id)!.state];
    for (let round = 2; round <= 5; round++) {
      await clock.advance(1_000);
      states.push(monitor.health(endpoint.id)!.state);
    }
    expect(states).toEqual(["starting", "starting", "starting", "starting", "ready"]);
    expect(monitor.health(endpoint.id)).toMatchObject({ consecutiveSuccesses: 3, consecutiveFailures: 0 });
  });

  it("fails after exactly failureThreshold consecutive failures, naming the probe, endpoint, message and time", async () => {
    const clock = new ManualClock(START);
    const good = new ScriptedProbe("tcp", ["ok"], clock);
    const bad = new ScriptedProbe("http", ["fail", "fail", "ok", "fail", "fail", "fail"], clock, {
      failureThreshold: 3,
    });
    const monitor = monitorWith([good, bad], clock);
    monitor.watch([endpoint]);
    await settle();

    await clock.advance(4_000);
    // Round 3 passed (ready); rounds 4 and 5 failed: two failures in a row are not yet three.
    expect(monitor.health(endpoint.id)).toMatchObject({ state: "ready", consecutiveFailures: 2 });
    await clock.advance(1_000);
    const health = monitor.health(endpoint.id)!;
    expect(health.state).toBe("failed");
    expect(health.consecutiveFailures).toBe(3);
    expect(health.failure).toEqual({
      probe: "http",
      endpoint: "127.0.0.1:4101",
      message: "http check #6: fail",
      at: START + 5_000,
    });
    expect(health.lastResult).toMatchObject({ probe: "http", ok: false, at: START + 5_000 });
  });

  it("tells onFailed listeners once, in the round the endpoint fails", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["ok", "fail", "fail"], clock, { failureThreshold: 2 });
    const monitor = monitorWith([probe], clock);
    const told: [string, string, number][] = [];
    monitor.onFailed(() => {
      throw new Error("a broken listener does not stop the others");
    });
    const unsubscribe = monitor.onFailed((failed, health) =>
      told.push([failed.id, health.state, clock.now() - START]),
    );
    monitor.watch([endpoint]);
    await settle();
    await clock.advance(1_000);
    expect(told).toEqual([]);
    await clock.advance(1_000);
    expect(told).toEqual([[endpoint.id, "failed", 2_000]]);
    await clock.advance(5_000);
    expect(told).toHaveLength(1);
    unsubscribe();
    monitor.watch([other]);
    await settle();
    await clock.advance(3_000);
    expect(monitor.health(other.id)?.state).toBe("failed");
    expect(told).toHaveLength(1);
  });

  it("stops probing a failed endpoint and keeps the failure", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["fail"], clock, { failureThreshold: 1 });
    const monitor = monitorWith([probe], clock);
    monitor.watch([endpoint]);
    await settle();
    await clock.advance(10_000);

    expect(probe.checkedAt).toEqual([0]);
    expect(monitor.health(endpoint.id)?.state).toBe("failed");
    expect(clock.pendingSleepers()).toBe(0);
  });

  it("fails a ready endpoint the same way", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["ok", "fail", "fail"], clock, { failureThreshold: 2 });
    const monitor = monitorWith([probe], clock);
    monitor.watch([endpoint]);
    await settle();
    expect(monitor.health(endpoint.id)?.state).toBe("ready");
    await clock.advance(1_000);
    expect(monitor.health(endpoint.id)?.state).toBe("ready");
    await clock.advance(1_000);
    expect(monitor.health(endpoint.id)).toMatchObject({ state: "failed", failure: { probe: "http" } });
  });

  it("times a hanging check out after its timeout, in clock time, and aborts it", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("grpc", ["hang"], clock, { timeout: 500, failureThreshold: 1 });
    const monitor = monitorWith([probe], clock);
    monitor.watch([endpoint]);
    await settle();
    expect(monitor.health(endpoint.id)?.state).toBe("starting");

    await clock.advance(499);
    expect(monitor.health(endpoint.id)?.state).toBe("starting");
    await clock.advance(1);
    expect(monitor.health(endpoint.id)).toMatchObject({
      state: "failed",
      failure: { probe: "grpc", message: "timed out after 500ms", at: START + 500 },
    });
    expect(probe.abortedChecks).toEqual([0]);
  });

  it("makes an endpoint ready after its first round when no probe is configured", async () => {
    const clock = new ManualClock(START);
    const monitor = monitorWith([], clock);
    monitor.watch([endpoint]);
    await settle();
    expect(monitor.health(endpoint.id)).toMatchObject({ state: "ready", consecutiveSuccesses: 1 });
  });

  it("watches new endpoints and forgets the ones no longer listed", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["ok"], clock);
    const monitor = monitorWith([probe], clock);
    monitor.watch([endpoint]);
    await settle();
    monitor.watch([endpoint, other]);
    await settle();
    expect(monitor.all().map((health) => health.endpointId)).toEqual([endpoint.id, other.id]);
    expect(probe.checkedAt).toHaveLength(2);

    monitor.watch([other]);
    await settle();
    expect(monitor.health(endpoint.id)).toBeUndefined();
    await clock.advance(1_000);
    expect(probe.checkedAt).toHaveLength(3);
    expect(clock.pendingSleepers()).toBe(1);
  });

  it("stop cancels every loop and leaves no sleeper behind, even mid-check", async () => {
    const clock = new ManualClock(START);
    const waiting = new ScriptedProbe("http", ["ok"], clock, { initialDelay: 10_000 });
    const hanging = new ScriptedProbe("exec", ["hang"], clock, { timeout: 60_000 });
    const sleepingMonitor = new ProbeMonitor([waiting], clock);
    const checkingMonitor = new ProbeMonitor([hanging], clock);
    sleepingMonitor.watch([endpoint, other]);
    checkingMonitor.watch([endpoint]);
    await settle();
    // The two endpoints due at the same instant wait behind one sleep; the hanging check's timeout is the other.
    expect(clock.pendingSleepers()).toBe(2);

    await sleepingMonitor.stop();
    await checkingMonitor.stop();

    expect(clock.pendingSleepers()).toBe(0);
    expect(hanging.abortedChecks).toEqual([0]);
    expect(sleepingMonitor.all()).toEqual([]);
    await clock.advance(60_000);
    expect(waiting.checkedAt).toEqual([]);
  });

  it("endpoints due at the same instant, of any monitor on the clock, wait behind one sleep", async () => {
    const clock = new ManualClock(START);
    const first = new ScriptedProbe("http", ["ok"], clock);
    const second = new ScriptedProbe("tcp", ["ok"], clock, { period: 500 });
    const one = monitorWith([first], clock);
    const two = new ProbeMonitor([second], clock);
    one.watch([endpoint, other]);
    two.watch([endpoint]);
    await settle();
    // Due at 500 (two) and 1,000 (one's two endpoints): two sleeps, not three.
    expect(clock.pendingSleepers()).toBe(2);

    await clock.advance(1_000);
    expect(first.checkedAt).toEqual([0, 0, 1_000, 1_000]);
    expect(second.checkedAt).toEqual([0, 500, 1_000]);
    // Both monitors are due at 1,500 (two) and 2,000 (one and two): still one sleep per instant.
    expect(clock.pendingSleepers()).toBe(2);

    await two.stop();
    expect(clock.pendingSleepers()).toBe(1);
    one.watch([other]);
    expect(clock.pendingSleepers()).toBe(1);
    one.watch([]);
    // The last endpoint due at 2,000 is gone: its sleep is cancelled, not left for nobody.
    expect(clock.pendingSleepers()).toBe(0);
    await clock.advance(5_000);
    expect(first.checkedAt).toHaveLength(4);
  });

  it("a check still running when it returns keeps its signal to itself until its timeout aborts it", async () => {
    const clock = new ManualClock(START);
    /** Signals of slow checks not yet aborted, and every signal as a check got it. */
    const held = new Set<AbortSignal>();
    const given: { probe: string; aborted: boolean; heldBySlow: boolean }[] = [];
    const quick = new ScriptedProbe("tcp", ["ok"], clock);
    const slow = new ScriptedProbe("http", ["hang"], clock, { timeout: 500, failureThreshold: 5 });
    for (const probe of [quick, slow]) {
      const check = probe.check.bind(probe);
      probe.check = (checked, signal) => {
        given.push({ probe: probe.name, aborted: signal.aborted, heldBySlow: held.has(signal) });
        if (probe === slow) {
          held.add(signal);
          signal.addEventListener("abort", () => held.delete(signal));
        }
        return check(checked, signal);
      };
    }
    const m = monitorWith([quick, slow], clock);
    m.watch([endpoint, other]);
    await settle();
    await clock.advance(2_000);

    // Rounds at 0, 1,000 and 2,000 for both endpoints; the slow checks of the first two timed out.
    expect(slow.abortedChecks).toEqual([0, 1, 2, 3]);
    expect(given).toHaveLength(12);
    expect(given.filter((g) => g.aborted || g.heldBySlow)).toEqual([]);
    expect(held.size).toBe(2);
    expect(m.health(endpoint.id)).toMatchObject({ state: "starting", consecutiveFailures: 2 });
  });

  it("a check that throws instead of returning a promise fails its round with the message", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["ok"], clock, { failureThreshold: 1 });
    probe.check = () => {
      throw new Error("boom");
    };
    monitorWith([probe], clock).watch([endpoint]);
    await settle();
    expect(monitor!.health(endpoint.id)).toMatchObject({
      state: "failed",
      failure: { probe: "http", message: "probe threw: boom" },
    });
  });

  it("health() hands out one frozen snapshot until a round changes it", async () => {
    const clock = new ManualClock(START);
    const probe = new ScriptedProbe("http", ["fail", "ok"], clock, { successThreshold: 1 });
    const m = monitorWith([probe], clock);
    m.watch([endpoint]);
    await settle();
    const first = m.health(endpoint.id)!;
    expect(first).toMatchObject({ state: "starting", consecutiveFailures: 1 });
    expect(Object.isFrozen(first) && Object.isFrozen(first.lastResult)).toBe(true);
    expect(m.health(endpoint.id)).toBe(first);
    expect(m.all()).toEqual([first]);
    expect(() => {
      (first as { state: string }).state = "ready";
    }).toThrow(TypeError);

    await clock.advance(1_000);
    await settle();
    const second = m.health(endpoint.id)!;
    expect(second).not.toBe(first);
    expect(second).toMatchObject({ state: "ready", consecutiveFailures: 0, consecutiveSuccesses: 1 });
    expect(first.state).toBe("starting");
  });
});
