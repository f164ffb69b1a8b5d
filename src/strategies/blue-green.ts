import type { Step } from "../core/types.js";
import { PlanBuilder } from "./plan-builder.js";

export interface BlueGreenOptions {
  /** Switch after this long with a healthy preview; null waits for `tandem resume`; 0 switches at once. */
  autoPromote: number | null;
  /** Keep the old stack this long after the switch, for an instant rollback; 0 removes it at once. */
  scaleDownDelay: number;
}

export const PREVIEW_PAUSE_REASON = "awaiting promotion of the preview";
export const SCALE_DOWN_DELAY_REASON = "scale-down delay";

/**
 * Blue-green: start a full preview stack (checked by its probes before any switch), wait for
 * promotion, switch all traffic at once, keep the old stack for a while, then remove it.
 */
export function planBlueGreen(options: BlueGreenOptions, replicas: number): Step[] {
  const plan = new PlanBuilder(replicas).scaleNew(replicas);
  if (options.autoPromote === null) plan.pause(undefined, PREVIEW_PAUSE_REASON);
  else if (options.autoPromote > 0) plan.pause(options.autoPromote, PREVIEW_PAUSE_REASON);
  plan.setWeight(100);
  if (options.scaleDownDelay > 0) plan.pause(options.scaleDownDelay, SCALE_DOWN_DELAY_REASON);
  return plan.scaleStable(0).steps;
}
