import { afterEach, describe, expect, it } from "vitest";
import type { StrategyConfig } from "../core/config.js";
import type { ApprovalSpec, HookSpec, ReleaseCommand } from "../core/types.js";
import { checkDecision } from "./decisions.js";
import { engineFixture, simService } from "./engine.fixtures.js";

let fixture: Awaited<ReturnType<typeof engineFixture>>;
afterEach(async () => fixture?.cleanup());

const rolling: StrategyConfig = {
  type: "rolling",
  batchSize: { value: 1, percent: false },
  maxSurge: { value: 1, percent: false },
  maxUnavailable: { value: 0, percent: false },
  pauseBetweenBatches: 0,
  progressDeadline: 60_000,
};
const gate = (spec: Partial<ApprovalSpec> = {}): ApprovalSpec => ({
  required: 1,
  approvers: ["alice", "bob", "carol"],
  allowSelfApproval: false,
  timeout: 3_600_000,
  onTimeout: "reject",
  escalateTo: [],
  ...spec,
});
const hook = (name: string, timeout = 60_000): HookSpec => ({
  name,
  command: [name],
  shell: false,
  timeout,
  env: {},
});

let commandCount = 0;
async function send(
  releaseId: string,
  type: ReleaseCommand["type"],
  actor: string,
  extra: Partial<ReleaseCommand> = {},
) {
  await fixture.store.addCommand({
    id: `c${++commandCount}`,
    releaseId,
    type,
    actor,
    createdAt: fixture.clock.now(),
    ...extra,
  });
}
async function types(id: string) {
  return (await fixture.store.listEvents({ releaseId: id })).map((e) => e.type);
}

describe("environment approval gate", () => {
  it("holds the release until two different approvers approve; self-approval is refused", async () => {
    fixture = await engineFixture(simService(rolling), {
      environments: { staging: { approval: gate({ required: 2 }) } },
    });
    const engine = fixture.newEngine();
    const release = await fixture.releaseOf({ api: "1.0.0" }); // created by alice
    expect(release.status).toBe("awaiting_approval");
    expect(await types(release.id)).toContain("approval.requested");

    expect(() => checkDecision(release, "approve", "alice", undefined)).toThrow(
      /alice started this release and cannot approve it/,
    );
    expect(() => checkDecision(release, "approve", "mallory", undefined)).toThrow(
      /mallory is not an approver/,
    );

    await send(release.id, "approve", "alice"); // the engine refuses it too
    await fixture.clock.advance(60_000);
    let state = await engine.reconcileOnce(release.id);
    expect(state.status).toBe("awaiting_approval");
    expect(state.rollouts[0]!.status).toBe("pending");
    expect(await types(release.id)).toContain("command.rejected");

    await send(release.id, "approve", "bob", { reason: "looks good" });
    state = await engine.reconcileOnce(release.id);
    expect(state.status).toBe("awaiting_approval");
    expect(state.approval!.decisions).toEqual([
      { actor: "bob", decision: "approve", comment: "looks good", at: fixture.clock.now() },
    ]);
    expect(() => checkDecision(state, "approve", "bob", undefined)).toThrow(/bob already approved/);

    await send(release.id, "approve", "carol");
    const final = await fixture.drive(engine, release.id);
    expect(final.status).toBe("succeeded");
    const events = await fixture.store.listEvents({ releaseId: release.id });
    const approved = events.find((e) => e.type === "approval.approved")!;
    expect(approved.message).toMatch(/bob, carol/);
    expect(events.findIndex((e) => e.type === "approval.approved")).toBeLessThan(
      events.findIndex((e) => e.type === "rollout.started"),
    );
  });

  it("a rejection ends the release before anything moves", async () => {
    fixture = await engineFixture(simService(rolling), { environments: { staging: { approval: gate() } } });
    const engine = fixture.newEngine();
    const release = await fixture.releaseOf({ api: "1.0.0" });
    await send(release.id, "reject", "bob", { reason: "not during the sale" });
    const final = await fixture.drive(engine, release.id);
    expect(final.status).toBe("aborted");
    expect(final.reason).toBe("rejected by bob: not during the sale");
    expect(await types(release.id)).not.toContain("rollout.started");
    expect(await fixture.store.getStable("shop", "staging", "api")).toBeUndefined();
  });

  it("times out as a rejection", async () => {
    fixture = await engineFixture(simService(rolling), {
      environments: { staging: { approval: gate({ timeout: 600_000 }) } },
    });
    const engine = fixture.newEngine();
    const release = await fixture.releaseOf({ api: "1.0.0" });
    await fixture.clock.advance(599_000);
    expect((await engine.reconcileOnce(release.id)).status).toBe("awaiting_approval");
    await fixture.clock.advance(1_000);
    const final = await engine.reconcileOnce(release.id);
    expect(final.status).toBe("aborted");
    expect(final.reason).toMatch(/approval timed out after 10m \(0 of 1 approvals\)/);
    expect(await types(release.id)).toContain("approval.timed_out");
  });

  it("escalates once, waits another timeout, then rejects", async () => {
    fixture = await engineFixture(simService(rolling), {
      environments: {
        staging: { approval: gate({ timeout: 600_000, onTimeout: "escalate", escalateTo: ["oncall-lead"] }) },
      },
    });
    const engine = fixture.newEngine();
    const release = await fixture.releaseOf({ api: "1.0.0" });
    for (let minute = 1; minute <= 19; minute++) {
      await fixture.clock.advance(60_000);
      expect((await engine.reconcileOnce(release.id)).status).toBe("awaiting_approval");
    }
    const escalations = (await fixture.store.listEvents({ releaseId: release.id })).filter(
      (e) => e.type === "approval.escalated",
    );
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.data).toMatchObject({ notify: ["oncall-lead"] });
    await fixture.clock.advance(60_000);
    expect((await engine.reconcileOnce(release.id)).status).toBe("aborted");
  });

  it("lets the escalation list approve once, and only once, the gate escalated", async () => {
    fixture = await engineFixture(simService(rolling), {
      environments: {
        staging: { approval: gate({ timeout: 600_000, onTimeout: "escalate", escalateTo: ["oncall-lead"] }) },
      },
    });
    const engine = fixture.newEngine();
    const release = await fixture.releaseOf({ api: "1.0.0" });
    expect(() => checkDecision(release, "approve", "oncall-lead", undefined)).toThrow(
      /oncall-lead is not an approver here \(approvers: alice, bob, carol\)/,
    );
    await fixture.clock.advance(600_000);
    const escalated = await engine.reconcileOnce(release.id);
    expect(escalated.approval!.escalated).toBe(true);
    expect(() => checkDecision(escalated, "approve", "oncall-lead", undefined)).not.toThrow();
    await send(release.id, "approve", "oncall-lead", { reason: "covering for the team" });
    expect((await fixture.drive(engine, release.id)).status).toBe("succeeded");
  });
});

describe("approval step", () => {
  it("waits at the step and rolls back when rejected", async () => {
    const canary: StrategyConfig = {
      type: "canary",
      steps: [{ setWeight: 20 }, { approval: gate() }, { setWeight: 60 }],
      progressDeadline: 60_000,
    };
    fixture = await engineFixture(simService(canary));
    await fixture.deployed("1.0.0");
    const engine = fixture.newEngine();
    const { id } = await fixture.releaseOf({ api: "2.0.0" });
    const waiting = await fixture.drive(engine, id, (r) => r.status === "awaiting_approval");
    expect(waiting.rollouts[0]).toMatchObject({ weight: 20, status: "awaiting_approval" });
    expect(fixture.router.weights()).toEqual({ "1.0.0": 80, "2.0.0": 20 });
    await send(id, "reject", "carol", { service: "api", reason: "p99 looks off" });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toBe("rejected by carol: p99 looks off");
    expect(serving(fixture.router.weights())).toEqual({ "1.0.0": 100 });
  });
});

describe("hooks", () => {
  it("runs service pre and post hooks once each, with the release's variables", async () => {
    fixture = await engineFixture(
      simService(rolling, { hooks: { pre: [hook("migrate")], post: [hook("smoke")] } }),
    );
    await fixture.deployed("1.0.0");
    fixture.hooks.outcome("migrate", { exitCode: 0, output: "migrated", after: 5_000 });
    const engine = fixture.newEngine();
    const { id } = await fixture.releaseOf({ api: "2.0.0" });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("succeeded");
    expect(fixture.hooks.startsOf("migrate").filter((s) => s.vars.version === "2.0.0")).toHaveLength(1);
    expect(fixture.hooks.startsOf("migrate").at(-1)!.vars).toMatchObject({
      version: "2.0.0",
      stableVersion: "1.0.0",
      service: "api",
    });
    expect(fixture.hooks.startsOf("smoke").at(-1)!.env).toMatchObject({
      TANDEM_VERSION: "2.0.0",
      TANDEM_ENVIRONMENT: "staging",
    });
    const story = await types(id);
    expect(story.indexOf("hook.succeeded")).toBeLessThan(story.indexOf("rollout.scaled"));
  });

  it("a failing post hook rolls the service back", async () => {
    fixture = await engineFixture(simService(rolling, { hooks: { pre: [], post: [hook("smoke")] } }));
    await fixture.deployed("1.0.0");
    fixture.hooks.outcome("smoke", { exitCode: 1, output: "GET /checkout -> 500" });
    const engine = fixture.newEngine();
    const { id } = await fixture.releaseOf({ api: "2.0.0" });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toBe("api: hook smoke exited with 1: GET /checkout -> 500");
    expect(serving(fixture.router.weights())).toEqual({ "1.0.0": 100 });
  });

  it("a failing pre-release hook fails the release before any service moves", async () => {
    fixture = await engineFixture(simService(rolling), { hooks: { pre: [hook("backup")], post: [] } });
    fixture.hooks.outcome("backup", { exitCode: 2, output: "disk full", after: 3_000 });
    const engine = fixture.newEngine();
    const { id } = await fixture.releaseOf({ api: "1.0.0" });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("failed");
    expect(final.reason).toBe("pre-release hook backup exited with 2: disk full");
    expect(final.rollouts[0]).toMatchObject({ status: "aborted", skipped: true });
    expect(await types(id)).not.toContain("rollout.started");
  });

  it("a failing post-release hook backs every service out", async () => {
    fixture = await engineFixture(simService(rolling), {
      more: [simService(rolling, { name: "web", dependsOn: [{ service: "api" }] })],
      hooks: { pre: [], post: [hook("contract-tests")] },
    });
    fixture.hooks.outcome("contract-tests", { exitCode: 0 });
    const engine = fixture.newEngine();
    const first = await fixture.releaseOf({ api: "1.0.0", web: "1.0.0" });
    expect((await fixture.drive(engine, first.id)).status).toBe("succeeded");
    fixture.hooks.outcome("contract-tests", { exitCode: 1, output: "web expects /v2/orders" });
    const { id } = await fixture.releaseOf({ api: "2.0.0", web: "2.0.0" });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts.map((r) => r.status)).toEqual(["rolled_back", "rolled_back"]);
    expect(final.reason).toMatch(/post-release hook contract-tests exited with 1/);
    expect(serving(fixture.routers.get("api")!.weights())).toEqual({ "1.0.0": 100 });
    expect(serving(fixture.routers.get("web")!.weights())).toEqual({ "1.0.0": 100 });
    const story = (await fixture.store.listEvents({ releaseId: id })).map((e) =>
      `${e.type} ${e.service ?? ""}`.trim(),
    );
    expect(story.indexOf("rollout.rolled_back web")).toBeLessThan(story.indexOf("rollout.rolling_back api"));
  });
});

/** The versions that carry traffic (a router keeps a retired version at weight 0). */
function serving(weights: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(weights).filter(([, weight]) => weight > 0));
}
