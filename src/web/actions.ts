import type { Release, Role, Whoami } from "./types";

/**
 * Which of a release's buttons a person gets: the role must grant the action (the server's
 * src/api/permissions.ts: deployer abort/resume/rollback, approver approve/reject, admin all, viewer
 * none), the token must cover the release's environment, and the release must be in a state where
 * the action means something. The server checks again; this only keeps useless buttons disabled.
 */

export type Action = "approve" | "reject" | "abort" | "resume" | "rollback";
export const ACTIONS: readonly Action[] = ["approve", "reject", "resume", "abort", "rollback"];

const PERMISSION: Record<Action, "deploy" | "approve"> = {
  approve: "approve",
  reject: "approve",
  abort: "deploy",
  resume: "deploy",
  rollback: "deploy",
};

const GRANTS: Record<Role, ReadonlyArray<"deploy" | "approve">> = {
  viewer: [],
  deployer: ["deploy"],
  approver: ["approve"],
  admin: ["deploy", "approve"],
};

const FINISHED = new Set(["succeeded", "failed", "rolled_back", "aborted"]);

export interface ActionState {
  enabled: boolean;
  /** Why it is disabled (a tooltip and the test read it). */
  why?: string;
}

export function roleMay(role: Role, action: Action): boolean {
  return GRANTS[role]?.includes(PERMISSION[action]) ?? false;
}

export function coversEnvironment(who: Pick<Whoami, "environments">, environment: string): boolean {
  return who.environments.length === 0 || who.environments.includes(environment);
}

/** The open approval gate: the environment's, else a rollout's approval step (with its service). */
export function openGate(release: Release): { service?: string } | undefined {
  if (release.approval && !release.approval.outcome && release.status === "awaiting_approval") return {};
  const rollout = release.rollouts.find((r) => r.gate && !r.gate.outcome && !FINISHED.has(r.status));
  return rollout ? { service: rollout.service } : undefined;
}

/** The one paused rollout's service (resume only it), or undefined to resume every paused rollout. */
export function pausedService(release: Release): string | undefined {
  const paused = release.rollouts.filter((r) => r.status === "paused" || r.pausedSince !== undefined);
  return paused.length === 1 ? paused[0]!.service : undefined;
}

/** Whether the release's state allows the action, and why not. */
function stateAllows(release: Release, action: Action): string | undefined {
  const finished = FINISHED.has(release.status);
  switch (action) {
    case "approve":
    case "reject":
      return openGate(release) ? undefined : "nothing is waiting for approval";
    case "abort":
      return finished ? `the release already ended (${release.status.replace(/_/g, " ")})` : undefined;
    case "resume":
      return release.rollouts.some((r) => r.status === "paused" || r.pausedSince !== undefined)
        ? undefined
        : "no rollout is paused";
    case "rollback":
      if (release.status === "succeeded") return undefined;
      return finished ? "the release ended without changing what runs" : undefined;
  }
}

export function actionState(who: Whoami, release: Release, action: Action): ActionState {
  if (!roleMay(who.role, action)) {
    return { enabled: false, why: `role ${who.role} may not ${action}` };
  }
  if (!coversEnvironment(who, release.environment)) {
    return { enabled: false, why: `token "${who.name}" does not cover ${release.environment}` };
  }
  const why = stateAllows(release, action);
  return why ? { enabled: false, why } : { enabled: true };
}

/** Every action's state, in the order the buttons are shown. */
export function actionStates(who: Whoami, release: Release): Record<Action, ActionState> {
  const states = {} as Record<Action, ActionState>;
  for (const action of ACTIONS) states[action] = actionState(who, release, action);
  return states;
}

/** Destructive actions ask first, with a reason. */
export function needsConfirmation(action: Action): boolean {
  return action === "abort" || action === "rollback";
}
