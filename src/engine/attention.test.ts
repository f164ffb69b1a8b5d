import { afterEach, describe, expect, it } from "vitest";
import type { StrategyConfig } from "../core/config.js";
import type { ReleaseState, RolloutState } from "../core/types.js";
import { resetSimInstances } from "../targets/sim.js";
import { dueAt, MAX_QUIET_MS } from "./attention.js";
import { engineFixture, simService } from "./engine.fixtures.js";

/** A canary that soaks at 25% for 30 s. */
const canary: StrategyConfig = {
  type: "canary",
  steps: [{ setWeight: 25 }, { pause: { duration: 30_000 } }],
  progressDeadline: 60_000,
};

let fixture: Awaited<ReturnType<typeof engineFixture>>;
afterEach(async () => fixture?.cleanup());

const soaking = (r: ReleaseState) => r.rollouts.every((o) => o.steps[o.stepIndex]?.type === "pause");

/** 1.0.0 deployed, then 2.0.0 driven to its soak; returns the engine, the release and the soak's end. */
async function atSoak(services = ["api"], strategy = canary) {
  const [first, ...more] = services.map((name) => simService(strategy, { name }));
  fixture = await engineFixture(first!, { more });
  const engine = fixture.newEngine();
  const versions = (v: string) => Object.fromEntries(services.map((s) => [s, v]));
  const deployed = await fixture.drive(engine, (await fixture.releaseOf(versions("1.0.0"))).id);
  expect(deployed.status).toBe("succeeded");
  const { id } = await fixture.releaseOf(versions("2.0.0"));
  const state = await fixture.drive(engine, id, soaking);
  expect(soaking(state)).toBe(true);
  const soakEnd = state.rollouts[0]!.stepStartedAt + 30_000;
  return { engine, id, state, soakEnd };
}

describe("rollouts with nothing due are left alone", () => {
  it("does not leave alone a rollout whose new instances the probes do not watch yet (they would never turn ready)", async () => {
    // Instances ready at once: the scale step is done as soon as the monitor has seen them once.
    const service = simService(canary, {
      target: { type: "sim", replicas: 1, startupTime: 0, unhealthyVersions: [] },
    });
    fixture = await engineFixture(service);
    const engine = fixture.newEngine();
    const { id } = await fixture.releaseOf({ api: "1.0.0" });
    const start = fixture.clock.now();
    const final = await fixture.drive(engine, id);

    expect(final.status).toBe("succeeded");
    expect(fixture.clock.now() - start).toBeLessThan(MAX_QUIET_MS / 2);
  });

  it("a soaking canary's pass is skipped (the very rollout is kept) until its pause ends, then it moves on", async () => {
    const { engine, id, state } = await atSoak();
    await fixture.clock.advance(1_000);
    const quiet = await engine.reconcileOnce(id);
    expect(quiet.rollouts[0]).toBe(state.rollouts[0]);
    expect(quiet.revision).toBe(state.revision + 1);

    // Every second of the soak: still the same rollout (at most MAX_QUIET_MS without a full pass).
    let last = quiet;
    let full = 0;
    for (let i = 0; i < 27; i++) {
      await fixture.clock.advance(1_000);
      const next = await engine.reconcileOnce(id);
      if (next.rollouts[0] !== last.rollouts[0]) full++;
      last = next;
    }
    expect(full).toBeLessThanOrEqual(Math.ceil(28_000 / MAX_QUIET_MS));
    expect(last.rollouts[0]!.stepIndex).toBe(state.rollouts[0]!.stepIndex);

    // The pause ends: that pass is a full one, and the canary goes on to 100%.
    await fixture.clock.advance(2_000);
    const after = await engine.reconcileOnce(id);
    expect(after.rollouts[0]!.stepIndex).toBeGreaterThan(state.rollouts[0]!.stepIndex);
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("succeeded");
    expect(fixture.router.weights()).toEqual({ "1.0.0": 0, "2.0.0": 100 });
  });

  it("acts on a command during the soak", async () => {
    const { engine, id } = await atSoak();
    await fixture.clock.advance(1_000);
    await engine.reconcileOnce(id);
    await fixture.store.addCommand({
      id: "c1",
      releaseId: id,
      type: "abort",
      actor: "bob",
      createdAt: fixture.clock.now(),
    });
    await fixture.clock.advance(1_000);
    const next = await engine.reconcileOnce(id);
    expect(next.rollouts[0]!.phase).not.toBe("progressing");
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("aborted");
  });

  it("acts on an instance that exited during the soak", async () => {
    const { engine, id } = await atSoak();
    await fixture.clock.advance(1_000);
    await engine.reconcileOnce(id);
    fixture.crashes.push({
      endpoint: { id: "gone", version: "2.0.0", host: "127.0.0.1", port: 4999, startedAt: 0 },
      detail: "pid 42 exited",
    });
    await fixture.clock.advance(1_000);
    const next = await engine.reconcileOnce(id);
    expect(next.rollouts[0]!.phase).toBe("rolling_back");
    expect(next.rollouts[0]!.reason).toContain("pid 42 exited");
  });

  it("acts on instances whose probes fail during the soak", async () => {
    const { engine, id } = await atSoak();
    await fixture.clock.advance(1_000);
    await engine.reconcileOnce(id);
    // Every simulated instance is gone: its probes fail (3 rounds), and the next pass rolls back.
    resetSimInstances();
    let state: ReleaseState | undefined;
    for (let i = 0; i < 6 && state?.rollouts[0]?.phase !== "rolling_back"; i++) {
      await fixture.clock.advance(1_000);
      state = await engine.reconcileOnce(id);
    }
    expect(state!.rollouts[0]!.phase).toBe("rolling_back");
    expect(state!.rollouts[0]!.reason).toContain("not running");
  });

  it("puts back a route table the router lost during the soak", async () => {
    const { engine, id } = await atSoak();
    await fixture.clock.advance(1_000);
    await engine.reconcileOnce(id);
    const served = fixture.router.weights();
    expect(served).toEqual({ "1.0.0": 75, "2.0.0": 25 });
    fixture.router.table = undefined;
    await fixture.clock.advance(1_000);
    await engine.reconcileOnce(id);
    expect(fixture.router.weights()).toEqual(served);
  });

  it("acts on another engine's write of the release", async () => {
    const { engine, id, state } = await atSoak();
    await fixture.clock.advance(1_000);
    const quiet = await engine.reconcileOnce(id);
    // Another writer moves the stored release on (here: the soak declared over).
    const stored = (await fixture.store.getRelease(id))!;
    const moved: RolloutState = { ...stored.rollouts[0]!, stepStartedAt: fixture.clock.now() - 30_000 };
    await fixture.store.writeRelease({
      release: { ...stored, rollouts: [moved] },
      expectedRevision: quiet.revision,
    });
    await fixture.clock.advance(1_000);
    const next = await engine.reconcileOnce(id);
    expect(next.rollouts[0]!.stepIndex).toBeGreaterThan(state.rollouts[0]!.stepIndex);
  });

  it("a rollout that fails makes the soaking ones of its release back out", async () => {
    const { engine, id } = await atSoak(["api", "web"]);
    await fixture.clock.advance(1_000);
    const quiet = await engine.reconcileOnce(id);
    await fixture.store.addCommand({
      id: "c1",
      releaseId: id,
      service: quiet.rollouts[1]!.service,
      type: "abort",
      actor: "bob",
      createdAt: fixture.clock.now(),
    });
    await fixture.clock.advance(1_000);
    const aborted = await engine.reconcileOnce(id);
    expect(aborted.backingOut).toBeDefined();
    // The next pass has no command, and api's pause is not over: it backs out all the same.
    await fixture.clock.advance(1_000);
    const next = await engine.reconcileOnce(id);
    expect(next.rollouts[0]!.phase).not.toBe("progressing");
  });
});

describe("dueAt", () => {
  const base = (overrides: Partial<RolloutState>): RolloutState => ({
    service: "api",
    version: "2.0.0",
    stableVersion: "1.0.0",
    status: "running",
    phase: "progressing",
    steps: [{ type: "pause", duration: 30_000 }],
    stepIndex: 0,
    stepStartedAt: 1_000,
    weight: 25,
    replicas: { new: 1, stable: 1 },
    desiredReplicas: 1,
    progressDeadline: 60_000,
    pauseTimeout: 3_600_000,
    ...overrides,
  });

  it("is the end of a timed pause, the pause timeout of a manual one, the deadline of a scale", () => {
    expect(dueAt(base({}))).toBe(31_000);
    expect(dueAt(base({ status: "paused", steps: [{ type: "pause" }], pausedSince: 2_000 }))).toBe(
      2_000 + 3_600_000 + 1,
    );
    expect(dueAt(base({ steps: [{ type: "scale", track: "new", replicas: 1 }] }))).toBe(61_001);
  });

  it("is undefined (every pass is a full one) for anything else", () => {
    expect(dueAt(base({ steps: [{ type: "setWeight", weight: 50 }] }))).toBeUndefined();
    expect(dueAt(base({ steps: [{ type: "pause", duration: 30_000, auto: true }] }))).toBeUndefined();
    expect(dueAt(base({ phase: "rolling_back" }))).toBeUndefined();
    expect(dueAt(base({ lastError: "router down" }))).toBeUndefined();
    expect(
      dueAt(base({ steps: [{ type: "approval", approval: { approvers: [], required: 1 } as never }] })),
    ).toBeUndefined();
    expect(dueAt(base({ backgroundAnalysis: { templates: [] } as never }))).toBeUndefined();
    expect(dueAt(base({ stepIndex: 1 }))).toBeUndefined();
  });
});
