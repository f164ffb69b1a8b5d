import type { Step } from "../core/types.js";

/**
 * A service's first release has no stable version to protect: start every instance (the engine waits
 * for their probes) and send them all traffic. Every strategy does this, as Argo Rollouts does.
 */
export function planFirstRelease(replicas: number): Step[] {
  return [
    { type: "scale", track: "new", replicas },
    { type: "setWeight", weight: 100 },
  ];
}
