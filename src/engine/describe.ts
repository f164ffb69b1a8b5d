import { formatDuration } from "../core/duration.js";
import type { Step } from "../core/types.js";

/** One line for people: `setWeight 25`, `pause 30s`, `pause (until resumed)`, `scale new to 2`. */
export function describeStep(step: Step): string {
  switch (step.type) {
    case "setWeight":
      return `setWeight ${step.weight}`;
    case "pause":
      return step.duration === undefined
        ? `pause until resumed${step.reason ? ` (${step.reason})` : ""}`
        : `pause ${formatDuration(step.duration)}${step.auto ? " (or until the analysis says not worse)" : ""}${step.reason ? ` (${step.reason})` : ""}`;
    case "scale":
      return `scale ${step.track} to ${step.replicas}`;
    case "approval":
      return `approval (${step.approval.required} of ${
        step.approval.approvers.length > 0 ? step.approval.approvers.join(", ") : "anyone"
      })`;
    case "hook":
      return `${step.stage === "step" ? "hook" : `${step.stage}-hook`} ${step.hook.name}`;
    case "analysis":
      return `analysis ${step.analysis.templates.join(", ")} (every ${formatDuration(step.analysis.interval)}${
        step.analysis.count === undefined ? "" : `, ${step.analysis.count} times`
      }${step.analysis.dryRun ? ", dry run" : ""})`;
  }
}
