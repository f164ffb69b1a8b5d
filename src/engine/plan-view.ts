import type { Need, ReleaseState, Step } from "../core/types.js";
import { estimateDuration } from "../strategies/index.js";
import { planDag, schedule } from "./planner.js";

export interface ServicePlan {
  service: string;
  version: string;
  stableVersion: string | null;
  strategy: string;
  steps: Step[];
  /** The least time this service's steps take (timed pauses); waits for people come on top. */
  minDurationMs: number;
  /** Pauses that wait for `tandem resume`, and approval steps: each adds however long a person takes. */
  manualPauses: number;
  needs: Need[];
  /** When it would start and end, from the release's start, if nobody made anyone wait. */
  startMs: number;
  endMs: number;
}

export interface ReleasePlan {
  environment: string;
  services: ServicePlan[];
  /** The release's least duration: the critical path. */
  totalMs: number;
  criticalPath: string[];
  approval?: { required: number; approvers: string[] };
  hooks: { pre: string[]; post: string[] };
  rollbackPolicy: "release" | "service";
  /** The change freeze the release would have to override. */
  freeze?: string;
}

/** What `tandem plan` shows for a release that would be created (dry run): the DAG, steps and timing. */
export function describePlan(release: ReleaseState, strategyOf: (service: string) => string): ReleasePlan {
  const estimates = new Map(release.rollouts.map((r) => [r.service, estimate(r.steps)]));
  const dag = planDag(release.rollouts.map((r) => ({ service: r.service, dependsOn: r.needs ?? [] })));
  const timing = schedule(
    dag,
    (service) => estimates.get(service)!.minMs,
    (service, step) => {
      const steps = release.rollouts.find((r) => r.service === service)!.steps;
      const index = steps.findIndex((s) => s.name === step);
      // Without that step (a first release has none) the dependent waits for the whole rollout.
      return estimate(index === -1 ? steps : steps.slice(0, index + 1)).minMs;
    },
  );
  return {
    environment: release.environment,
    services: release.rollouts.map((r) => {
      const at = timing.services.find((s) => s.service === r.service)!;
      const { minMs, manual } = estimates.get(r.service)!;
      return {
        service: r.service,
        version: r.version,
        stableVersion: r.stableVersion,
        strategy: r.stableVersion ? strategyOf(r.service) : "first release",
        steps: r.steps,
        minDurationMs: minMs,
        manualPauses: manual,
        needs: r.needs ?? [],
        startMs: at.startMs,
        endMs: at.endMs,
      };
    }),
    totalMs: timing.totalMs,
    criticalPath: timing.criticalPath,
    ...(release.approval
      ? { approval: { required: release.approval.spec.required, approvers: release.approval.spec.approvers } }
      : {}),
    hooks: {
      pre: release.hooks?.pre.map((h) => h.name) ?? [],
      post: release.hooks?.post.map((h) => h.name) ?? [],
    },
    rollbackPolicy: release.rollbackPolicy ?? "release",
    ...(release.freezeOverride ? { freeze: release.freezeOverride.window } : {}),
  };
}

function estimate(steps: readonly Step[]): { minMs: number; manual: number } {
  const { minMs, manualPauses } = estimateDuration(steps);
  return { minMs, manual: manualPauses + steps.filter((s) => s.type === "approval").length };
}
