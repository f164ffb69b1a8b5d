import { type AnalysisTemplateConfig, resolveAnalysis } from "../core/analysis.js";
import type { ServiceConfig } from "../core/config.js";
import type { Need, RolloutState, Step } from "../core/types.js";
import { planSteps } from "../strategies/index.js";

/**
 * A rollout as it starts: the strategy's steps with the service's hooks around them. Pre hooks run
 * before anything moves; post hooks run as soon as the new version takes all the traffic, while the old
 * one still runs (a failing smoke test then rolls back at once).
 */
export function newRollout(
  spec: ServiceConfig,
  version: string,
  stableVersion: string | null,
  options: {
    fast: boolean;
    now: number;
    needs: Need[];
    /** Analysis templates that `analysis` steps and background analysis name. */
    analysis?: Record<string, AnalysisTemplateConfig>;
  },
): RolloutState {
  const replicas = spec.target.replicas;
  const strategySteps = options.fast
    ? planSteps(
        {
          type: "blueGreen",
          autoPromote: 0,
          scaleDownDelay: 0,
          progressDeadline: spec.strategy.progressDeadline,
        },
        replicas,
        { hasStable: stableVersion !== null },
      ).filter((s) => s.type !== "pause")
    : planSteps(spec.strategy, replicas, { hasStable: stableVersion !== null, analysis: options.analysis });
  const background =
    !options.fast && stableVersion !== null && spec.strategy.type === "canary" && spec.strategy.analysis
      ? resolveAnalysis(spec.strategy.analysis, options.analysis ?? {})
      : undefined;
  const steps = withHooks(strategySteps, options.fast ? { pre: [], post: [] } : spec.hooks);
  return {
    service: spec.name,
    version,
    stableVersion,
    status: "pending",
    phase: "progressing",
    // The stable version is brought to full size first (a no-op unless it was stopped with `tandem down`).
    steps: stableVersion ? [{ type: "scale", track: "stable", replicas }, ...steps] : steps,
    stepIndex: 0,
    stepStartedAt: options.now,
    weight: 0,
    replicas: { new: 0, stable: stableVersion ? replicas : 0 },
    desiredReplicas: replicas,
    progressDeadline: spec.strategy.progressDeadline,
    pauseTimeout: spec.pauseTimeout,
    needs: options.needs,
    ...(background ? { backgroundAnalysis: background } : {}),
  };
}

export function withHooks(steps: Step[], hooks: ServiceConfig["hooks"]): Step[] {
  const pre: Step[] = hooks.pre.map((hook) => ({ type: "hook", hook, stage: "pre" }));
  const post: Step[] = hooks.post.map((hook) => ({ type: "hook", hook, stage: "post" }));
  let at = steps.length;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (step.type === "setWeight" && step.weight === 100) {
      at = i + 1;
      break;
    }
  }
  return [...pre, ...steps.slice(0, at), ...post, ...steps.slice(at)];
}
