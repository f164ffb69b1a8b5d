import type { Amount } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { Step } from "../core/types.js";
import { PlanBuilder } from "./plan-builder.js";

export interface RollingOptions {
  batchSize: Amount;
  maxSurge: Amount;
  maxUnavailable: Amount;
  pauseBetweenBatches: number;
}

/** The resolved replica counts a rolling update works with. */
export interface RollingLimits {
  /** Instances replaced per batch, at least 1. */
  batch: number;
  /** Instances allowed above the desired count. */
  surge: number;
  /** Instances allowed below the desired count. */
  unavailable: number;
}

export const BETWEEN_BATCHES_REASON = "pause between batches";

/**
 * An amount as a replica count. Percentages of `replicas` round like Kubernetes: "up" for maxSurge
 * and batch sizes, "down" for maxUnavailable.
 */
export function resolveAmount(amount: Amount, replicas: number, rounding: "up" | "down"): number {
  if (!amount.percent) return Math.max(0, Math.floor(amount.value));
  const exact = (amount.value * replicas) / 100;
  // Absorb floating-point noise (e.g. 0.07 * 100) before rounding.
  const nearest = Math.round(exact);
  const value = Math.abs(exact - nearest) < 1e-9 ? nearest : exact;
  return Math.max(0, rounding === "up" ? Math.ceil(value) : Math.floor(value));
}

export function resolveRollingLimits(options: RollingOptions, replicas: number): RollingLimits {
  const limits = {
    batch: Math.max(1, resolveAmount(options.batchSize, replicas, "up")),
    surge: resolveAmount(options.maxSurge, replicas, "up"),
    unavailable: resolveAmount(options.maxUnavailable, replicas, "down"),
  };
  if (limits.surge === 0 && limits.unavailable === 0) {
    throw new TandemError(
      "TANDEM_ERR_CONFIG",
      `rolling update of ${replicas} replicas cannot progress: maxSurge and maxUnavailable both resolve to 0`,
      { hint: "allow at least one extra instance (maxSurge: 1) or one missing instance (maxUnavailable: 1)" },
    );
  }
  return limits;
}

/**
 * Rolling: replace stable instances with new ones a batch at a time, never running more than
 * replicas + maxSurge instances and never fewer than replicas - maxUnavailable serving ones.
 *
 * Each batch: start new instances (the engine waits for their probes), shift traffic to the share
 * the new version will have once the batch's stable instances are gone, then remove those stable
 * instances. Shifting the weight before removing keeps the load per remaining instance even.
 */
export function planRolling(options: RollingOptions, replicas: number): Step[] {
  const { batch, surge, unavailable } = resolveRollingLimits(options, replicas);
  const plan = new PlanBuilder(replicas);
  let firstBatch = true;
  while (plan.newReplicas < replicas || plan.stableReplicas > 0) {
    if (!firstBatch && options.pauseBetweenBatches > 0) {
      plan.pause(options.pauseBetweenBatches, BETWEEN_BATCHES_REASON);
    }
    firstBatch = false;
    const before = { new: plan.newReplicas, stable: plan.stableReplicas };

    const up = Math.min(replicas, plan.newReplicas + batch, replicas + surge - plan.stableReplicas);
    if (up > plan.newReplicas) plan.scaleNew(up);

    const n = plan.newReplicas;
    const s = plan.stableReplicas;
    const down = Math.min(s, Math.max(0, replicas - unavailable - n, s - batch));
    const weight = weightFor(n, down);
    if (weight !== undefined) plan.setWeight(Math.max(plan.weight, weight));
    if (down < s) plan.scaleStable(down);

    if (plan.newReplicas === before.new && plan.stableReplicas === before.stable) {
      // Unreachable when surge or unavailable is positive; a guard against an endless plan.
      throw new TandemError("TANDEM_ERR_CONFIG", "rolling update made no progress", {
        hint: "check batchSize, maxSurge and maxUnavailable",
      });
    }
  }
  return plan.steps;
}

/** The new version's share of traffic, in 1..99 while both versions serve; undefined when none does. */
function weightFor(newReplicas: number, stableReplicas: number): number | undefined {
  const total = newReplicas + stableReplicas;
  if (total === 0) return undefined;
  if (stableReplicas === 0) return 100;
  if (newReplicas === 0) return 0;
  return Math.min(99, Math.max(1, Math.round((100 * newReplicas) / total)));
}
