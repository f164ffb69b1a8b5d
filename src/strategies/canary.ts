import { type AnalysisTemplateConfig, resolveAnalysis } from "../core/analysis.js";
import type { CanaryStepConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { Step } from "../core/types.js";
import { PlanBuilder } from "./plan-builder.js";

/** Instances of the new version needed to carry `weight` percent of the traffic: at least one. */
export function canaryReplicasFor(weight: number, replicas: number): number {
  return Math.max(1, Math.ceil((replicas * weight) / 100));
}

/**
 * Canary: the stable version keeps all its instances while the new one takes a growing share of the
 * traffic, with enough instances for that share; pauses soak (or wait for `tandem resume`). After the
 * configured steps the new version takes everything and the stable one is scaled to zero.
 */
export function planCanary(
  steps: readonly CanaryStepConfig[],
  replicas: number,
  templates: Record<string, AnalysisTemplateConfig> = {},
): Step[] {
  const plan = new PlanBuilder(replicas);
  steps.forEach((step, index) => {
    if ("setWeight" in step) {
      const weight = step.setWeight;
      if (!Number.isFinite(weight) || weight < 0 || weight > 100) {
        throw invalidStep(index, `setWeight ${weight} is outside 0..100`);
      }
      if (weight < plan.weight) {
        throw invalidStep(index, `setWeight ${weight} is lower than the previous weight ${plan.weight}`);
      }
      const needed = canaryReplicasFor(weight, replicas);
      if (needed > plan.newReplicas) plan.scaleNew(needed);
      plan.setWeight(weight);
    } else if ("approval" in step) {
      plan.add({ type: "approval", approval: step.approval });
    } else if ("hook" in step) {
      plan.add({ type: "hook", hook: step.hook, stage: "step" });
    } else if ("analysis" in step) {
      const analysis = resolveAnalysis(step.analysis, templates);
      if (!analysis) {
        const missing = step.analysis.templates.filter((name) => !templates[name]);
        throw invalidStep(index, `unknown analysis template ${missing.map((n) => `"${n}"`).join(", ")}`);
      }
      plan.add({ type: "analysis", analysis });
    } else {
      plan.pause(step.pause.duration);
      if (step.pause.auto) {
        const last = plan.steps[plan.steps.length - 1];
        if (last?.type === "pause") last.auto = true;
      }
    }
    plan.nameLast(step.name);
  });
  return plan.scaleNew(replicas).setWeight(100).scaleStable(0).steps;
}

function invalidStep(index: number, message: string): TandemError {
  return new TandemError("TANDEM_ERR_CONFIG", `canary step ${index + 1}: ${message}`, {
    hint: "canary weights are percentages that never go down, e.g. 5, 25, 50",
  });
}
