import type { AnalysisTemplateConfig } from "../core/analysis.js";
import type { StrategyConfig } from "../core/config.js";
import { TandemError, UnknownTypeError } from "../core/errors.js";
import type { Step } from "../core/types.js";
import { planBlueGreen } from "./blue-green.js";
import { planCanary } from "./canary.js";
import { planFirstRelease } from "./first-release.js";
import { planRecreate } from "./recreate.js";
import { planRolling } from "./rolling.js";

export type { BlueGreenOptions } from "./blue-green.js";
export { PREVIEW_PAUSE_REASON, planBlueGreen, SCALE_DOWN_DELAY_REASON } from "./blue-green.js";
export { canaryReplicasFor, planCanary } from "./canary.js";
export { planFirstRelease } from "./first-release.js";
export { planRecreate } from "./recreate.js";
export type { RollingLimits, RollingOptions } from "./rolling.js";
export {
  BETWEEN_BATCHES_REASON,
  planRolling,
  resolveAmount,
  resolveRollingLimits,
} from "./rolling.js";

export const STRATEGY_TYPES = ["canary", "blueGreen", "rolling", "recreate"] as const;

export interface PlanOptions {
  /** Whether a stable version is live. False on a service's first release: nothing to protect. */
  hasStable: boolean;
  /** Analysis templates that canary `analysis` steps name. */
  analysis?: Record<string, AnalysisTemplateConfig>;
}

/**
 * The steps that move a service from its stable version to a new one with `replicas` instances.
 * Pure: the same input always gives the same steps. Every plan ends with the new version at
 * `replicas` instances and weight 100, and the stable version at 0 instances.
 */
export function planSteps(strategy: StrategyConfig, replicas: number, options: PlanOptions): Step[] {
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new TandemError(
      "TANDEM_ERR_CONFIG",
      `replicas must be a whole number of at least 1, not ${replicas}`,
    );
  }
  if (!options.hasStable) return planFirstRelease(replicas);
  switch (strategy.type) {
    case "canary":
      return planCanary(strategy.steps, replicas, options.analysis);
    case "blueGreen":
      return planBlueGreen(strategy, replicas);
    case "rolling":
      return planRolling(strategy, replicas);
    case "recreate":
      return planRecreate(replicas);
    default:
      throw new UnknownTypeError("strategy", (strategy as { type: string }).type, STRATEGY_TYPES);
  }
}

export interface DurationEstimate {
  /** The sum of all timed pauses: the least time the plan takes (starting instances adds to it). */
  minMs: number;
  /** Pauses that wait for `tandem resume`: each adds however long a person takes. */
  manualPauses: number;
}

/** What `tandem plan` shows: how long the steps take at least, and how many wait for a person. */
export function estimateDuration(steps: readonly Step[]): DurationEstimate {
  let minMs = 0;
  let manualPauses = 0;
  for (const step of steps) {
    if (step.type === "analysis") {
      // At least the looks it needs to succeed (one interval apart, the first one interval in).
      const { interval, count, consecutiveSuccessLimit } = step.analysis;
      minMs += interval * (count ?? (consecutiveSuccessLimit || 1));
      continue;
    }
    if (step.type !== "pause") continue;
    if (step.duration === undefined) manualPauses++;
    else minMs += step.duration;
  }
  return { minMs, manualPauses };
}
