import type { Step } from "../core/types.js";

/** What the instances and the router look like after a step. */
export interface PlanState {
  newReplicas: number;
  stableReplicas: number;
  weight: number;
}

/**
 * Replays steps from the start of a rollout (`stableReplicas` stable instances, weight 0) and returns
 * the state after each one. A test helper: the strategy tests check what each step leads to (never fewer serving instances than asked).
 */
export function replaySteps(steps: readonly Step[], stableReplicas: number): PlanState[] {
  let state: PlanState = { newReplicas: 0, stableReplicas, weight: 0 };
  return steps.map((step) => {
    if (step.type === "scale") {
      state =
        step.track === "new"
          ? { ...state, newReplicas: step.replicas }
          : { ...state, stableReplicas: step.replicas };
    } else if (step.type === "setWeight") {
      state = { ...state, weight: step.weight };
    }
    return state;
  });
}

/** Instances that receive traffic: new ones once the weight is above 0, stable ones while below 100. */
export function servingReplicas(state: PlanState): number {
  return (state.weight > 0 ? state.newReplicas : 0) + (state.weight < 100 ? state.stableReplicas : 0);
}
