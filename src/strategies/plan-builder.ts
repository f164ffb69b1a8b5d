import type { Step } from "../core/types.js";

/**
 * Accumulates steps while tracking the state they lead to, so strategies never emit a step that
 * changes nothing (a scale to the current count, a weight already set).
 */
export class PlanBuilder {
  readonly steps: Step[] = [];
  newReplicas = 0;
  stableReplicas: number;
  weight = 0;

  constructor(stableReplicas: number) {
    this.stableReplicas = stableReplicas;
  }

  scaleNew(replicas: number): this {
    if (replicas !== this.newReplicas) {
      this.steps.push({ type: "scale", track: "new", replicas });
      this.newReplicas = replicas;
    }
    return this;
  }

  scaleStable(replicas: number): this {
    if (replicas !== this.stableReplicas) {
      this.steps.push({ type: "scale", track: "stable", replicas });
      this.stableReplicas = replicas;
    }
    return this;
  }

  setWeight(weight: number): this {
    if (weight !== this.weight) {
      this.steps.push({ type: "setWeight", weight });
      this.weight = weight;
    }
    return this;
  }

  /** A step that changes no replicas or weight (approval, hook). */
  add(step: Step): this {
    this.steps.push(step);
    return this;
  }

  /**
   * Names the step a configured step ended on, so another service can wait for it; a configured step
   * that emitted nothing (a weight already set) names the step before it, where that state was reached.
   */
  nameLast(name: string | undefined): this {
    const last = this.steps.at(-1);
    if (name !== undefined && last) this.steps[this.steps.length - 1] = { ...last, name };
    return this;
  }

  /** A pause of `duration` ms, or until resumed when `duration` is undefined. */
  pause(duration: number | undefined, reason?: string): this {
    const step: Step = { type: "pause" };
    if (duration !== undefined) step.duration = duration;
    if (reason !== undefined) step.reason = reason;
    this.steps.push(step);
    return this;
  }
}
