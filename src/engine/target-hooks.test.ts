import { afterEach, describe, expect, it } from "vitest";
import type { ServiceConfig, StrategyConfig } from "../core/config.js";
import { type FakeWholeVersionOptions, FakeWholeVersionTarget } from "../testing/whole-version-target.js";
import { engineFixture, simService } from "./engine.fixtures.js";

const canary: StrategyConfig = {
  type: "canary",
  steps: [
    { setWeight: 20 },
    { pause: { duration: 10_000 } },
    { setWeight: 50 },
    { pause: { duration: 10_000 } },
  ],
  progressDeadline: 60_000,
};

/** A service whose target deploys whole versions (the fixture swaps in the fake for the configured one). */
function commandService(strategy: StrategyConfig = canary): ServiceConfig {
  return simService(strategy, {
    target: {
      type: "command",
      deploy: ["./deploy.sh"],
      shell: false,
      env: {},
      deployTimeout: 600_000,
      timeout: 30_000,
      replicas: 1,
    },
  });
}

let fixture: Awaited<ReturnType<typeof engineFixture>>;
let target: FakeWholeVersionTarget;
afterEach(async () => fixture?.cleanup());

async function setup(options: FakeWholeVersionOptions = {}, strategy?: StrategyConfig) {
  fixture = await engineFixture(commandService(strategy), {
    target: (clock) => {
      target = new FakeWholeVersionTarget(clock, options);
      return target;
    },
  });
}

describe("engine with a whole-version target", () => {
  it("waits while the deployment is pending (neither failing nor ready), then goes live", async () => {
    await setup({ deployTime: 30_000 });
    const engine = fixture.newEngine();
    const { id } = await fixture.release("1.0.0");
    // 20 one-second passes: far more than failureThreshold (3) checks, all pending.
    const during = await fixture.drive(engine, id, () => false, 20);
    expect(during.status).toBe("running");
    expect(during.rollouts[0]!.instances?.new).toEqual({ ready: 0, total: 1 });
    expect(target.weightCalls, "no traffic is sent to a version still deploying").toEqual([]);
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("succeeded");
    expect(final.finishedAt! - final.createdAt).toBeGreaterThanOrEqual(30_000);
    expect((await fixture.store.getStable("shop", "staging", "api"))?.version).toBe("1.0.0");
    expect(target.weightCalls).toEqual([{ "1.0.0": 100 }]);
  });

  it("a deployment pending past the progress deadline rolls back, saying what it last saw", async () => {
    await setup({ deployTime: Number.POSITIVE_INFINITY });
    const final = await fixture.deployed("1.0.0");
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toMatch(/not ready after 1m .*last check: command: deploying 1\.0\.0/);
  });

  it("sends the canary weights in order, only when they change, and promotes once", async () => {
    await setup({ deployTime: 3_000 });
    await fixture.deployed("1.0.0");
    expect(target.weightCalls).toEqual([{ "1.0.0": 100 }]);
    expect(target.promoteCalls).toEqual([["1.0.0", undefined]]);

    const engine = fixture.newEngine();
    const { id } = await fixture.release("2.0.0");
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("succeeded");
    // Passes after the end change nothing.
    await engine.reconcileOnce(id);
    expect(target.weightCalls.slice(1)).toEqual([
      { "1.0.0": 80, "2.0.0": 20 },
      { "1.0.0": 50, "2.0.0": 50 },
      { "1.0.0": 0, "2.0.0": 100 },
    ]);
    expect(target.promoteCalls).toEqual([
      ["1.0.0", undefined],
      ["2.0.0", "1.0.0"],
    ]);
    expect(target.rollbackCalls).toEqual([]);
    expect(target.stopped).toEqual(["1.0.0"]);
  });

  it("a failed deployment rolls back once, with the target's message, and its actions become events", async () => {
    await setup({ deployTime: 3_000, failingVersions: ["2.0.0"] });
    await fixture.deployed("1.0.0");
    const engine = fixture.newEngine();
    const { id } = await fixture.release("2.0.0");
    const final = await fixture.drive(engine, id);
    for (let i = 0; i < 3; i++) await engine.reconcileOnce(id);

    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toContain("deploy.sh exited with 1: image 2.0.0 not found");
    expect(target.rollbackCalls).toEqual([["2.0.0", "1.0.0"]]);
    expect(target.promoteCalls).toEqual([["1.0.0", undefined]]);
    expect(target.weightCalls.slice(1), "no traffic was ever sent to 2.0.0").toEqual([]);
    expect(target.stopped).toEqual(["2.0.0"]);
    expect((await fixture.store.getStable("shop", "staging", "api"))?.version).toBe("1.0.0");

    const actions = (await fixture.store.listEvents({ releaseId: id })).filter(
      (e) => e.type === "rollout.target_action",
    );
    expect(actions.map((e) => [e.severity, e.message])).toEqual([
      ["error", "api: deploy 2.0.0: deploy.sh exited with 1: image 2.0.0 not found"],
      ["info", "api: rollback 2.0.0: back to 1.0.0"],
    ]);
    expect(actions[0]!.data).toEqual({
      action: "deploy",
      version: "2.0.0",
      ok: false,
      durationMs: 3_000,
      output: "deploy.sh exited with 1: image 2.0.0 not found",
    });
  });

  it("a failing setWeight rolls back at once, and the weights go back to the stable version", async () => {
    await setup({ deployTime: 1_000, failSetWeightAt: 50 });
    await fixture.deployed("1.0.0");
    const final = await fixture.drive(fixture.newEngine(), (await fixture.release("2.0.0")).id);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toBe("setWeight: set-weight.sh exited with 2: lb refused");
    expect(target.weightCalls.slice(1)).toEqual([
      { "1.0.0": 80, "2.0.0": 20 },
      { "1.0.0": 100, "2.0.0": 0 },
    ]);
    expect(target.rollbackCalls).toEqual([["2.0.0", "1.0.0"]]);
  });

  it("a failing promote rolls the rollout back instead of declaring it live", async () => {
    await setup({ deployTime: 1_000 });
    await fixture.deployed("1.0.0");
    target.options.failPromote = true;
    const final = await fixture.drive(fixture.newEngine(), (await fixture.release("2.0.0")).id);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toBe("promote of 2.0.0: promote.sh exited with 1: dns");
    expect(target.rollbackCalls).toEqual([["2.0.0", "1.0.0"]]);
    expect((await fixture.store.getStable("shop", "staging", "api"))?.version).toBe("1.0.0");
  });

  it("an engine that restarts mid-rollout neither repeats promote nor loses the weights", async () => {
    await setup({ deployTime: 1_000 });
    await fixture.deployed("1.0.0");
    const { id } = await fixture.release("2.0.0");
    const first = fixture.newEngine();
    await fixture.drive(first, id, (r) => r.rollouts[0]!.weight === 50);
    first.close();
    await fixture.clock.advance(16_000); // the dead engine's lease expires
    const final = await fixture.drive(fixture.newEngine(), id);
    expect(final.status).toBe("succeeded");
    expect(target.promoteCalls).toEqual([
      ["1.0.0", undefined],
      ["2.0.0", "1.0.0"],
    ]);
    // The new engine sends the current weights once (setWeight is idempotent), then only changes.
    expect(target.weightCalls.slice(1)).toEqual([
      { "1.0.0": 80, "2.0.0": 20 },
      { "1.0.0": 50, "2.0.0": 50 },
      { "1.0.0": 50, "2.0.0": 50 },
      { "1.0.0": 0, "2.0.0": 100 },
    ]);
  });
});
