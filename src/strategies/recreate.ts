import type { Step } from "../core/types.js";
import { PlanBuilder } from "./plan-builder.js";

/**
 * Recreate: stop every stable instance, then start the new version and send it all traffic. The
 * service is down in between (the builtin router holds requests meanwhile).
 */
export function planRecreate(replicas: number): Step[] {
  return new PlanBuilder(replicas).scaleStable(0).scaleNew(replicas).setWeight(100).steps;
}
