import { formatDuration } from "../core/duration.js";
import { describeStep } from "../engine/describe.js";
import type { ReleasePlan } from "../engine/plan-view.js";

const BAR_WIDTH = 40;

/**
 * The release DAG as a timeline: one row per service, in dependency order, with a bar from when it
 * would start to when it would end, what it waits for, and its steps below.
 *
 *   api  2.3.0 -> 2.4.0  canary     |██████████████                  |  0s -> 15m
 *   web  1.7.0 -> 1.8.0  blueGreen  |              ██████████████████|  15m -> 35m  after api
 */
export function formatPlan(plan: ReleasePlan): string {
  const lines: string[] = [];
  const total = Math.max(plan.totalMs, 1);
  const nameWidth = Math.max(...plan.services.map((s) => s.service.length), 4);
  const versionWidth = Math.max(...plan.services.map((s) => versions(s).length), 8);
  const strategyWidth = Math.max(...plan.services.map((s) => s.strategy.length), 8);
  lines.push(
    `release plan for ${plan.environment}: ${plan.services.length} service(s), rollbackPolicy ${plan.rollbackPolicy}`,
  );
  if (plan.freeze) {
    lines.push(`  in a change freeze: ${plan.freeze}; deploying needs --override-freeze REASON`);
  }
  if (plan.approval) {
    const who = plan.approval.approvers.length > 0 ? plan.approval.approvers.join(", ") : "anyone";
    lines.push(`  waits first for ${plan.approval.required} approval(s) from ${who}`);
  }
  if (plan.hooks.pre.length > 0) lines.push(`  before: ${plan.hooks.pre.join(", ")}`);
  lines.push("");
  for (const s of plan.services) {
    const from = Math.round((s.startMs / total) * BAR_WIDTH);
    const to = Math.max(from + 1, Math.round((s.endMs / total) * BAR_WIDTH));
    const bar = `${" ".repeat(from)}${"█".repeat(Math.min(to, BAR_WIDTH) - from)}`.padEnd(BAR_WIDTH);
    const after =
      s.needs.length > 0
        ? `  after ${s.needs.map((n) => (n.step ? `${n.service} (step ${n.step})` : n.service)).join(", ")}`
        : "";
    const manual = s.manualPauses > 0 ? ` + ${s.manualPauses} wait(s) for people` : "";
    lines.push(
      `  ${s.service.padEnd(nameWidth)}  ${versions(s).padEnd(versionWidth)}  ${s.strategy.padEnd(strategyWidth)}  |${bar}|  ${formatDuration(s.startMs)} -> ${formatDuration(s.endMs)}${manual}${after}`,
    );
  }
  if (plan.hooks.post.length > 0) lines.push(`  after all: ${plan.hooks.post.join(", ")}`);
  lines.push("");
  lines.push(
    `critical path: ${plan.criticalPath.join(" -> ") || "-"}, at least ${formatDuration(plan.totalMs)}${
      plan.services.some((s) => s.manualPauses > 0) || plan.approval ? " plus the time people take" : ""
    }`,
  );
  for (const s of plan.services) {
    lines.push("", `${s.service}: ${versions(s)} (${s.strategy})`);
    for (const [i, step] of s.steps.entries()) {
      lines.push(
        `  ${String(i + 1).padStart(2)}. ${describeStep(step)}${step.name ? `  [${step.name}]` : ""}`,
      );
    }
  }
  return lines.join("\n");
}

function versions(s: { stableVersion: string | null; version: string }): string {
  return `${s.stableVersion ?? "(none)"} -> ${s.version}`;
}
