import { afterEach, describe, expect, it } from "vitest";
import { parseConfigWithRaw } from "../config/index.js";
import type { StrategyConfig } from "../core/config.js";
import type { ApprovalSpec, GateState } from "../core/types.js";
import { decide, describeGate, openGate, refusal } from "./approval.js";
import { engineFixture, simService } from "./engine.fixtures.js";

/** One identity per person: `Alice`, `alice` and ` alice ` are one actor at every gate. */

const spec = (extra: Partial<ApprovalSpec> = {}): ApprovalSpec => ({
  required: 2,
  approvers: [],
  allowSelfApproval: false,
  timeout: 3_600_000,
  onTimeout: "reject",
  escalateTo: [],
  ...extra,
});
const approve = (gate: GateState, actor: string) => decide(gate, { actor, decision: "approve", at: 1 });

describe("approval gates compare actors in one normalised form", () => {
  it("refuses self-approval whatever the spelling", () => {
    const gate = openGate(spec(), "alice", 0);
    for (const spelling of ["Alice", " alice ", "ALICE", "ａｌｉｃｅ"]) {
      expect(refusal(gate, spelling, "approve"), spelling).toMatch(/started this release and cannot approve/);
    }
    expect(refusal(openGate(spec(), " Alice", 0), "alice", "approve")).toMatch(/cannot approve/);
    expect(refusal(gate, "bob", "approve")).toBeUndefined();
  });

  it("counts `Alice` and ` alice ` approving twice as one approval", () => {
    let gate = openGate(spec(), "carol", 0);
    gate = approve(gate, "Alice");
    expect(refusal(gate, " alice ", "approve")).toMatch(/already approved/);
    // Even if both were recorded (an older store), they are one approver and do not open the gate.
    gate = approve(gate, " alice ");
    expect(gate.outcome).toBeUndefined();
    expect(describeGate(gate)).toMatch(/^1 of 2 approvals \(alice\)/);
    gate = approve(gate, "bob");
    expect(gate.outcome).toBe("approved");
  });

  it("matches the approvers list whatever its spelling and the approver's", () => {
    const gate = openGate(spec({ required: 1, approvers: ["Alice", " BOB "] }), "carol", 0);
    expect(refusal(gate, "alice", "approve")).toBeUndefined();
    expect(refusal(gate, "Bob", "approve")).toBeUndefined();
    expect(refusal(gate, "mallory", "approve")).toMatch(
      /mallory is not an approver here \(approvers: alice, bob\)/,
    );
    expect(describeGate(gate)).toMatch(/waiting for alice or bob/);
  });

  it("the configuration's approvers and escalateTo are stored normalised", () => {
    const { config } = parseConfigWithRaw(
      `
project: shop
environments:
  production:
    approval: { approvers: [Alice, " Bob "], onTimeout: escalate, escalateTo: [CAROL] }
services:
  api:
    target: { type: sim }
    router: { type: none }
    strategy: { recreate: {} }
`,
      "/tmp/tandem.yaml",
    );
    const approval = config.environments.production!.approval!;
    expect(approval.approvers).toEqual(["alice", "bob"]);
    expect(approval.escalateTo).toEqual(["carol"]);
  });

  it("counts the approvers list in people: `Alice` and `alice` cannot give two approvals", () => {
    const yaml = `
project: shop
environments:
  production:
    approval: { required: 2, approvers: [Alice, alice] }
services:
  api:
    target: { type: sim }
    router: { type: none }
    strategy: { recreate: {} }
`;
    expect(() => parseConfigWithRaw(yaml, "/tmp/tandem.yaml")).toThrow(
      /2 approvals required but only 1 approver\(s\) listed/,
    );
  });
});

describe("the engine applies decisions in the normalised form", () => {
  let fixture: Awaited<ReturnType<typeof engineFixture>> | undefined;
  afterEach(async () => fixture?.cleanup());
  const rolling: StrategyConfig = {
    type: "rolling",
    batchSize: { value: 1, percent: false },
    maxSurge: { value: 1, percent: false },
    maxUnavailable: { value: 0, percent: false },
    pauseBetweenBatches: 0,
    progressDeadline: 60_000,
  };

  it("refuses `Alice` approving alice's release and records approvers and their token normalised", async () => {
    fixture = await engineFixture(simService(rolling), {
      environments: { staging: { approval: spec() } },
    });
    const engine = fixture.newEngine();
    const release = await fixture.releaseOf({ api: "1.0.0" }); // created by alice
    let n = 0;
    const send = (actor: string, token?: { id: string; name: string }) =>
      fixture!.store.addCommand({
        id: `c${++n}`,
        releaseId: release.id,
        type: "approve",
        actor,
        createdAt: fixture!.clock.now(),
        ...(token ? { token } : {}),
      });
    await send("Alice");
    await send(" Bob ", { id: "tok-1", name: "bob-laptop" });
    await send("bob");
    const state = await engine.reconcileOnce(release.id);
    expect(state.status).toBe("awaiting_approval");
    expect(state.approval!.decisions).toEqual([
      {
        actor: "bob",
        decision: "approve",
        at: fixture.clock.now(),
        token: { id: "tok-1", name: "bob-laptop" },
      },
    ]);
    const events = await fixture.store.listEvents({ releaseId: release.id });
    const refused = events.filter((e) => e.type === "command.rejected").map((e) => e.message);
    expect(refused).toEqual([
      expect.stringMatching(/alice started this release and cannot approve it/),
      expect.stringMatching(/bob already approved/),
    ]);
    const granted = events.find((e) => e.type === "approval.granted")!;
    expect(granted.data).toMatchObject({ actor: "bob", token: { id: "tok-1", name: "bob-laptop" } });
  });
});
