import type { CompareSpec } from "../../analysis/judges/types.js";
import type { Measurement, MetricVerdict } from "../../analysis/types.js";
import type { TrafficTick } from "../traffic.js";

export type { CompareSpec };

/** A pure judge (`compareJudge`, `fixedWindowJudge` of src/analysis/judges): a comparison spec and a measurement in, a verdict out. */
export type CompareJudge = (spec: CompareSpec, measurement: Measurement) => MetricVerdict;

/**
 * A stateful sequential test over one rollout (e.g. `ConditionalComparison`, or a pure judge of the
 * cumulative samples wrapped in one): called at every look with the cumulative measurement.
 */
export interface SequentialTest {
  readonly name: string;
  observe(measurement: Measurement): MetricVerdict;
}

export type PolicyDecision = { action: "continue" } | { action: "rollback" | "promote"; reason: string };

/**
 * A rollout policy as a step-by-step decider over simulated traffic: it says what weight the canary
 * gets for the next tick, sees that tick's traffic, and decides. One instance per rollout (it keeps
 * its own state); deterministic (no clock, no randomness of its own).
 */
export interface Policy {
  readonly name: string;
  /** Percent of the traffic the canary gets during the next tick. */
  weight(): number;
  /** The tick that just ended; `tick.at` is ms since the rollout began. */
  observe(tick: TrafficTick): PolicyDecision;
  /** Why the weight is what it is now, for timelines (optional). */
  describe?(): string;
}

export const CONTINUE: PolicyDecision = { action: "continue" };
