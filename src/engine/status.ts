import { isTerminal, type RolloutState, type Status } from "../core/types.js";

/** The release's status is derived from its rollouts, never stored independently of them. */
export function deriveReleaseStatus(rollouts: readonly RolloutState[]): Status {
  if (rollouts.length === 0) return "succeeded";
  if (rollouts.every((r) => isTerminal(r.status))) {
    for (const worst of ["failed", "aborted", "rolled_back"] as const) {
      if (rollouts.some((r) => r.status === worst)) return worst;
    }
    return "succeeded";
  }
  if (rollouts.some((r) => r.status === "running")) return "running";
  if (rollouts.some((r) => r.status === "paused")) return "paused";
  if (rollouts.some((r) => r.status === "awaiting_approval")) return "awaiting_approval";
  return rollouts.some((r) => isTerminal(r.status)) ? "running" : "pending";
}
