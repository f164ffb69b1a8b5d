import { describe, expect, it } from "vitest";
import {
  type Action,
  actionState,
  actionStates,
  coversEnvironment,
  openGate,
  pausedService,
  roleMay,
} from "./actions";
import type { Release, Role, Rollout, Whoami } from "./types";

const who = (role: Role, environments: string[] = []): Whoami => ({
  name: role,
  actor: role,
  role,
  environments,
});

const rollout = (over: Partial<Rollout> = {}): Rollout => ({
  service: "api",
  version: "2.0.0",
  stableVersion: "1.0.0",
  status: "running",
  phase: "progressing",
  steps: [{ type: "setWeight", weight: 25 }, { type: "pause" }],
  stepIndex: 0,
  weight: 25,
  ...over,
});

const release = (over: Partial<Release> = {}): Release => ({
  id: "r1",
  project: "shop",
  environment: "production",
  status: "running",
  createdAt: 1,
  updatedAt: 2,
  createdBy: "ci",
  rollouts: [rollout()],
  ...over,
});

const awaiting = release({
  status: "awaiting_approval",
  approval: { requestedBy: "ci", requestedAt: 1, decisions: [], spec: { required: 1 } },
  rollouts: [rollout({ status: "pending" })],
});

const enabled = (w: Whoami, r: Release) =>
  Object.entries(actionStates(w, r))
    .filter(([, s]) => s.enabled)
    .map(([a]) => a);

describe("which buttons a person gets", () => {
  it("follows the server's role grants", () => {
    const table: Record<Role, Action[]> = {
      viewer: [],
      deployer: ["abort", "resume", "rollback"],
      approver: ["approve", "reject"],
      admin: ["approve", "reject", "abort", "resume", "rollback"],
    };
    for (const [role, actions] of Object.entries(table) as [Role, Action[]][]) {
      for (const action of ["approve", "reject", "abort", "resume", "rollback"] as Action[]) {
        expect(roleMay(role, action), `${role} ${action}`).toBe(actions.includes(action));
      }
    }
  });

  it("offers approve and reject only while a gate is open", () => {
    expect(enabled(who("approver"), awaiting)).toEqual(["approve", "reject"]);
    expect(enabled(who("approver"), release())).toEqual([]);
    expect(actionState(who("approver"), release(), "approve").why).toBe("nothing is waiting for approval");
    expect(openGate(awaiting)).toEqual({});
  });

  it("finds an approval step's gate with its service", () => {
    const r = release({
      rollouts: [
        rollout({
          service: "web",
          gate: { requestedBy: "ci", requestedAt: 1, decisions: [], spec: { required: 1 } },
        }),
      ],
    });
    expect(openGate(r)).toEqual({ service: "web" });
    expect(actionState(who("admin"), r, "approve").enabled).toBe(true);
  });

  it("offers resume only while paused, abort until the end, rollback during and after success", () => {
    const paused = release({ status: "running", rollouts: [rollout({ status: "paused", pausedSince: 5 })] });
    expect(enabled(who("deployer"), paused)).toEqual(["resume", "abort", "rollback"]);
    expect(enabled(who("deployer"), release())).toEqual(["abort", "rollback"]);
    expect(enabled(who("deployer"), release({ status: "succeeded" }))).toEqual(["rollback"]);
    expect(enabled(who("deployer"), release({ status: "aborted" }))).toEqual([]);
  });

  it("resumes the one paused rollout by name, or every paused one", () => {
    const one = release({
      rollouts: [rollout({ service: "db", status: "succeeded" }), rollout({ pausedSince: 5 })],
    });
    expect(pausedService(one)).toBe("api");
    const two = release({
      rollouts: [rollout({ service: "db", pausedSince: 4 }), rollout({ pausedSince: 5 })],
    });
    expect(pausedService(two)).toBeUndefined();
  });

  it("gives a viewer nothing, with the reason", () => {
    expect(enabled(who("viewer"), awaiting)).toEqual([]);
    expect(actionState(who("viewer"), awaiting, "approve").why).toBe("role viewer may not approve");
  });

  it("respects the token's environments", () => {
    expect(coversEnvironment(who("approver", []), "production")).toBe(true);
    expect(coversEnvironment(who("approver", ["staging"]), "production")).toBe(false);
    const state = actionState(who("approver", ["staging"]), awaiting, "approve");
    expect(state).toEqual({ enabled: false, why: 'token "approver" does not cover production' });
  });
});
