import { formatDuration } from "./format";
import type { Rollout, Step } from "./types";

/** What a strategy step says, for people: `setWeight 25`, `pause 30s`, `analysis golden`. */
export function describeStep(step: Step): string {
  switch (step.type) {
    case "setWeight":
      return `setWeight ${step.weight}`;
    case "pause":
      return step.duration === undefined ? "pause until resumed" : `pause ${formatDuration(step.duration)}`;
    case "scale":
      return `scale ${step.track} to ${step.replicas}`;
    case "analysis":
      return `analysis ${step.analysis.templates.join(", ") || "(inline)"}`;
    case "approval":
      return "approval";
    case "hook":
      return `hook ${step.hook.name}`;
  }
}

/** Where a rollout is: `step 2/4 setWeight 25`, `waiting`, or `done` once every step ran. */
export function stepProgress(rollout: Pick<Rollout, "steps" | "stepIndex" | "status">): string {
  const total = rollout.steps.length;
  if (rollout.status === "pending") return `waiting (${total} steps)`;
  if (rollout.stepIndex >= total) return `done (${total}/${total})`;
  const step = rollout.steps[rollout.stepIndex];
  return step
    ? `step ${rollout.stepIndex + 1}/${total} ${describeStep(step)}`
    : `step ${rollout.stepIndex + 1}/${total}`;
}

/** Probe health of a rollout's instances: `new 2/2 ready`, or what the last probe failure said. */
export function probeHealth(rollout: Pick<Rollout, "instances" | "probeFailure" | "status">): {
  text: string;
  healthy: boolean | null;
} {
  const counts = rollout.instances;
  if (!counts) return { text: "no instances yet", healthy: null };
  const parts = [`new ${counts.new.ready}/${counts.new.total} ready`];
  if (counts.stable.total > 0) parts.push(`stable ${counts.stable.ready}/${counts.stable.total} ready`);
  // A finished rollout's counts are its last pass's: shown, but no longer judged.
  const finished = ["succeeded", "failed", "rolled_back", "aborted"].includes(rollout.status);
  const healthy = finished
    ? null
    : counts.new.ready === counts.new.total && counts.stable.ready === counts.stable.total;
  const failure = rollout.probeFailure && healthy === false ? `; ${rollout.probeFailure.message}` : "";
  return { text: parts.join(", ") + failure, healthy };
}
