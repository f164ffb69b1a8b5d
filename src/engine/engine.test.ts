import { afterEach, describe, expect, it } from "vitest";
import { registerSecret } from "../config/redact.js";
import type { StrategyConfig } from "../core/config.js";
import { RouterError } from "../core/errors.js";
import { simProbeConfig } from "../targets/sim.js";
import { engineFixture, simService } from "./engine.fixtures.js";

const canary: StrategyConfig = {
  type: "canary",
  steps: [{ setWeight: 25 }, { pause: { duration: 30_000 } }, { setWeight: 50 }, { pause: {} }],
  progressDeadline: 60_000,
};

let fixture: Awaited<ReturnType<typeof engineFixture>>;
afterEach(async () => fixture?.cleanup());

describe("engine: first release", () => {
  it("goes straight to 100% and records the stable version", async () => {
    fixture = await engineFixture(simService(canary));
    const final = await fixture.deployed("1.0.0");
    expect(final.status).toBe("succeeded");
    expect((await fixture.store.getStable("shop", "staging", "api"))?.version).toBe("1.0.0");
    expect(fixture.router.weights()).toEqual({ "1.0.0": 100 });
    expect(fixture.router.table?.backends[0]?.endpoints).toHaveLength(2);
    // The instances as they stand when the release ended, not as the pass before last saw them.
    expect(final.rollouts[0]!.instances).toEqual({
      new: { ready: 2, total: 2 },
      stable: { ready: 0, total: 0 },
    });
  });
});

describe("engine: canary", () => {
  it("walks the steps, honours the soak time, waits for resume, then promotes", async () => {
    fixture = await engineFixture(simService(canary));
    await fixture.deployed("1.0.0");
    const engine = fixture.newEngine();
    const { id } = await fixture.release("2.0.0");

    const atSoak = await fixture.drive(
      engine,
      id,
      (r) => r.rollouts[0]!.steps[r.rollouts[0]!.stepIndex]?.type === "pause",
    );
    const rollout = atSoak.rollouts[0]!;
    expect(rollout.weight).toBe(25);
    expect(rollout.instances).toEqual({ new: { ready: 1, total: 1 }, stable: { ready: 2, total: 2 } });
    expect(fixture.router.weights()).toEqual({ "1.0.0": 75, "2.0.0": 25 });
    const canaryEndpoints = fixture.router.table?.backends.find((b) => b.version === "2.0.0")?.endpoints;
    expect(fixture.router.table?.preview).toEqual({ version: "2.0.0", endpoints: canaryEndpoints });
    const soakStarted = rollout.stepStartedAt;

    await fixture.clock.advance(29_000);
    expect((await engine.reconcileOnce(id)).rollouts[0]!.weight).toBe(25);
    await fixture.clock.advance(1_000);
    const paused = await fixture.drive(engine, id, (r) => r.status === "paused");
    expect(paused.rollouts[0]!.stepStartedAt - soakStarted).toBeGreaterThanOrEqual(30_000);
    expect(paused.status).toBe("paused");
    expect(fixture.router.weights()).toEqual({ "1.0.0": 50, "2.0.0": 50 });

    await fixture.clock.advance(10 * 60_000);
    expect((await engine.reconcileOnce(id)).status).toBe("paused");
    await fixture.store.addCommand({
      id: "c1",
      releaseId: id,
      type: "resume",
      actor: "bob",
      createdAt: fixture.clock.now(),
    });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("succeeded");
    expect(final.rollouts[0]!.instances).toEqual({
      new: { ready: 2, total: 2 },
      stable: { ready: 0, total: 0 },
    });
    expect(fixture.router.weights()).toEqual({ "1.0.0": 0, "2.0.0": 100 });
    expect((await fixture.store.getStable("shop", "staging", "api"))?.version).toBe("2.0.0");
    const types = (await fixture.store.listEvents({ releaseId: id })).map((e) => e.type);
    expect(types).toContain("rollout.paused");
    expect(types).toContain("command.accepted");
    expect(types.at(-1)).toBe("release.succeeded");
  });

  it("rolls back a version whose probes fail, naming the probe, and ends 100% on the old version", async () => {
    fixture = await engineFixture(simService(canary));
    await fixture.deployed("1.0.0");
    const final = await fixture.drive(fixture.newEngine(), (await fixture.release("bad")).id);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.instances).toEqual({
      new: { ready: 0, total: 0 },
      stable: { ready: 2, total: 2 },
    });
    expect(final.rollouts[0]!.reason).toMatch(/probe sim failed on sim:\d+: .*unhealthy/);
    expect(fixture.router.weights()).toEqual({ "1.0.0": 100, bad: 0 });
    expect(fixture.router.table?.backends.find((b) => b.version === "bad")?.endpoints).toHaveLength(0);
    expect((await fixture.store.getStable("shop", "staging", "api"))?.version).toBe("1.0.0");
    const events = await fixture.store.listEvents({ releaseId: final.id });
    expect(events.find((e) => e.type === "rollout.probe_failed")?.message).toContain("probe sim failed");
  });

  it("aborts on request from another process and returns traffic to the stable version", async () => {
    fixture = await engineFixture(simService(canary));
    await fixture.deployed("1.0.0");
    const engine = fixture.newEngine();
    const { id } = await fixture.release("2.0.0");
    await fixture.drive(engine, id, (r) => r.rollouts[0]!.weight === 25);
    await fixture.store.addCommand({
      id: "c2",
      releaseId: id,
      type: "abort",
      actor: "carol",
      reason: "pager",
      createdAt: 0,
    });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("aborted");
    expect(final.reason).toContain("carol: pager");
    expect(fixture.router.weights()).toEqual({ "1.0.0": 100, "2.0.0": 0 });
    expect(fixture.router.table?.preview, "no preview once rolling back").toBeUndefined();
    expect(await fixture.store.pendingCommands(id)).toHaveLength(0);
  });

  it("rolls back when new instances are not ready within the progress deadline", async () => {
    fixture = await engineFixture(simService(canary));
    await fixture.deployed("1.0.0");
    fixture.config.services.api = simService(canary, {
      target: { type: "sim", replicas: 2, startupTime: 120_000, unhealthyVersions: [] },
      health: [simProbeConfig({ failureThreshold: 1_000 })],
    });
    const final = await fixture.drive(fixture.newEngine(), (await fixture.release("2.0.0")).id);
    expect(final.status).toBe("rolled_back");
    expect(final.reason).toMatch(/not ready after 1m/);
  });

  it("rolls back at once when an instance of the new version exits on its own, quoting its log", async () => {
    fixture = await engineFixture(simService(canary));
    await fixture.deployed("1.0.0");
    const engine = fixture.newEngine();
    const { id } = await fixture.release("2.0.0");
    const running = await fixture.drive(engine, id, (r) => r.rollouts[0]!.weight === 25);
    expect(running.status).toBe("running");
    fixture.crashes.push({
      endpoint: { id: "gone", version: "2.0.0", host: "127.0.0.1", port: 4999, startedAt: 0 },
      detail: "pid 42 exited; its log ends: out of memory",
    });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("rolled_back");
    expect(final.reason).toBe(
      "api rolled back (instance 127.0.0.1:4999 of 2.0.0 pid 42 exited; its log ends: out of memory)",
    );
    expect(fixture.router.weights()).toEqual({ "1.0.0": 100, "2.0.0": 0 });
  });

  it("retries a failing action, says so once, and fails the release past the progress deadline", async () => {
    fixture = await engineFixture(simService(canary));
    fixture.router.ensure = async () => {
      throw new RouterError("cannot listen on 127.0.0.1:8080: the port is in use");
    };
    const final = await fixture.deployed("1.0.0");
    expect(final.status).toBe("failed");
    expect(final.reason).toContain("stuck past the progress deadline: cannot listen on 127.0.0.1:8080");
    expect(final.reason).toContain("then the rollback could not complete");
    const events = await fixture.store.listEvents({ releaseId: final.id });
    expect(events.filter((e) => e.type === "rollout.action_failed")).toHaveLength(1);
    expect(events.filter((e) => e.type === "rollout.started")).toHaveLength(0);
    expect(events.find((e) => e.type === "rollout.action_failed")?.message).toMatch(
      /retrying until the progress deadline \(1m left\)/,
    );
  });

  it("rolls back a manual pause nobody resumes within pauseTimeout", async () => {
    fixture = await engineFixture(simService(canary, { pauseTimeout: 120_000 }));
    await fixture.deployed("1.0.0");
    const final = await fixture.drive(fixture.newEngine(), (await fixture.release("2.0.0")).id);
    expect(final.status).toBe("failed");
    expect(final.reason).toMatch(/nobody resumed the pause within 2m/);
    expect(fixture.router.weights()).toEqual({ "1.0.0": 100, "2.0.0": 0 });
  });
});

describe("engine: secrets", () => {
  it("never writes a registered secret into events or the stored state", async () => {
    registerSecret("hunter2-very-secret");
    fixture = await engineFixture(simService(canary));
    await fixture.deployed("1.0.0");
    const engine = fixture.newEngine();
    const { id } = await fixture.release("2.0.0");
    await fixture.drive(engine, id, (r) => r.rollouts[0]!.weight === 25);
    await fixture.store.addCommand({
      id: "c3",
      releaseId: id,
      type: "abort",
      actor: "dave",
      reason: "token hunter2-very-secret leaked",
      createdAt: 0,
    });
    const final = await fixture.drive(engine, id);
    const stored = JSON.stringify([final, await fixture.store.listEvents({ releaseId: id })]);
    expect(stored).toContain("token *** leaked");
    expect(stored).not.toContain("hunter2-very-secret");
  });
});

describe("engine: compare-and-swap", () => {
  it("discards a pass whose release was written by someone else meanwhile, and moves on next pass", async () => {
    fixture = await engineFixture(simService(canary));
    const engine = fixture.newEngine();
    const { id } = await fixture.release("1.0.0");
    const { store } = fixture;
    const original = store.pendingCommands.bind(store);
    let interfere = true;
    store.pendingCommands = async (releaseId) => {
      if (interfere) {
        interfere = false;
        const current = (await store.getRelease(releaseId))!;
        await store.writeRelease({
          release: { ...current, createdBy: "intruder" },
          expectedRevision: current.revision,
        });
      }
      return original(releaseId);
    };
    const afterConflict = await engine.reconcileOnce(id);
    expect(afterConflict.status).toBe("pending");
    expect(afterConflict.createdBy).toBe("intruder");
    expect(await store.listEvents({ releaseId: id })).toHaveLength(1);
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("succeeded");
    expect(final.revision).toBeGreaterThan(afterConflict.revision);
  });
});

describe("engine: restart", () => {
  it("a new engine continues from the stored step, with the soak time that was left", async () => {
    fixture = await engineFixture(simService(canary));
    await fixture.deployed("1.0.0");
    const first = fixture.newEngine();
    const { id } = await fixture.release("2.0.0");
    const atSoak = await fixture.drive(
      first,
      id,
      (r) => r.rollouts[0]!.steps[r.rollouts[0]!.stepIndex]?.type === "pause",
    );
    const soakEnds = atSoak.rollouts[0]!.stepStartedAt + 30_000;
    const stepIndex = atSoak.rollouts[0]!.stepIndex;
    await fixture.clock.advance(5_000);
    // the first engine "dies" here: it is simply never called again, and its lease is not released.

    const second = fixture.newEngine();
    await expect(second.reconcileOnce(id)).rejects.toThrow(/being driven by another engine/);
    await fixture.clock.advance(15_000); // lease expires
    const resumed = await second.reconcileOnce(id);
    expect(resumed.rollouts[0]!.stepIndex).toBe(stepIndex);
    expect(resumed.rollouts[0]!.weight).toBe(25);
    const after = await fixture.drive(second, id, (r) => r.rollouts[0]!.stepIndex > stepIndex);
    expect(fixture.clock.now()).toBeGreaterThanOrEqual(soakEnds);
    expect(fixture.clock.now()).toBeLessThan(soakEnds + 2_000);
    expect(after.rollouts[0]!.weight).toBe(50);
  });
});

describe("engine: other strategies", () => {
  const cases: Array<[string, StrategyConfig]> = [
    [
      "blueGreen",
      { type: "blueGreen", autoPromote: 10_000, scaleDownDelay: 5_000, progressDeadline: 60_000 },
    ],
    [
      "rolling",
      {
        type: "rolling",
        batchSize: { value: 1, percent: false },
        maxSurge: { value: 1, percent: false },
        maxUnavailable: { value: 0, percent: false },
        pauseBetweenBatches: 1_000,
        progressDeadline: 60_000,
      },
    ],
    ["recreate", { type: "recreate", progressDeadline: 60_000 }],
  ];
  for (const [name, strategy] of cases) {
    it(`${name}: a good version is promoted, a bad one rolled back`, async () => {
      fixture = await engineFixture(
        simService(strategy, {
          target: { type: "sim", replicas: 3, startupTime: 1_000, unhealthyVersions: ["bad"] },
        }),
      );
      await fixture.deployed("1.0.0");
      const good = await fixture.drive(fixture.newEngine(), (await fixture.release("2.0.0")).id);
      expect(good.status).toBe("succeeded");
      expect(fixture.router.weights()).toMatchObject({ "2.0.0": 100 });
      const bad = await fixture.drive(fixture.newEngine(), (await fixture.release("bad")).id);
      expect(bad.status).toBe("rolled_back");
      expect(fixture.router.weights()).toMatchObject({ "2.0.0": 100 });
      expect(fixture.router.table?.backends.find((b) => b.version === "2.0.0")?.endpoints).toHaveLength(3);
    });
  }
});
