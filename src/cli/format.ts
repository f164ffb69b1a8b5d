import { formatDuration } from "../core/duration.js";
import type { ReleaseState, RolloutState, TandemEvent } from "../core/types.js";
import { describeGate } from "../engine/approval.js";
import { describeStep } from "../engine/describe.js";
import type { WhereEntry } from "../orchestrator-where.js";
import type { TrafficSummary } from "../routers/histogram.js";
import { rolloutAnalysisLines } from "./analysis-format.js";

/** Where a rollout is, in one line: `api 1.0.0 -> 1.1.0  step 4/9 pause 30s (12s left)  25% new  running`. */
export function rolloutLine(rollout: RolloutState, now: number): string {
  const step = rollout.steps[rollout.stepIndex];
  let where: string;
  if (rollout.skipped) where = "not started";
  else if (rollout.phase === "rolling_back") where = "rolling back";
  else if (rollout.phase === "completed" || !step) where = "done";
  else if (rollout.status === "pending" && (rollout.needs ?? []).length > 0) {
    where = `waits for ${rollout.needs!.map((n) => (n.step ? `${n.service} (${n.step})` : n.service)).join(", ")}`;
  } else if (rollout.gate && !rollout.gate.outcome) where = `approval: ${describeGate(rollout.gate)}`;
  else {
    where = `step ${rollout.stepIndex + 1}/${rollout.steps.length} ${describeStep(step)}`;
    if (step.type === "pause" && step.duration !== undefined && rollout.status === "running") {
      where += ` (${formatDuration(Math.max(0, rollout.stepStartedAt + step.duration - now))} left)`;
    }
  }
  const versions = `${rollout.stableVersion ?? "(none)"} -> ${rollout.version}`;
  const ready = rollout.instances
    ? `  ${rollout.instances.new.ready}/${rollout.instances.new.total} new ready`
    : "";
  return `${rollout.service.padEnd(12)} ${versions.padEnd(22)} ${where.padEnd(44)} ${String(rollout.weight).padStart(3)}% new  ${rollout.status}${ready}`;
}

export function releaseHeader(release: ReleaseState): string {
  const lines = [`release ${release.id}  ${release.environment}  ${release.status}  by ${release.createdBy}`];
  if (release.promotedFrom) lines[0] += `  (promoted from ${release.promotedFrom})`;
  if (release.approval && !release.approval.outcome)
    lines.push(`  approval: ${describeGate(release.approval)}`);
  if (release.hooks?.running) lines.push(`  running hook ${release.hooks.running.spec.name}`);
  if (release.backingOut) lines.push(`  backing out: ${release.backingOut.cause}`);
  return lines.join("\n");
}

export function eventLine(event: TandemEvent): string {
  const time = new Date(event.at).toISOString().slice(11, 19);
  const mark = event.severity === "error" ? "✗" : event.severity === "warning" ? "!" : "·";
  return `${time} ${mark} ${event.message}`;
}

export function releaseSummary(release: ReleaseState, now: number): string {
  const lines = [
    releaseHeader(release),
    ...release.rollouts.flatMap((r) => [`  ${rolloutLine(r, now)}`, ...rolloutAnalysisLines(r)]),
  ];
  if (release.reason) lines.push(`  reason: ${release.reason}`);
  return lines.join("\n");
}

/** `1234 requests, 3 5xx (0.24%), p50 ≤5ms, p99 ≤25ms, 2 in flight` */
export function trafficLine(t: TrafficSummary): string {
  const rate = t.requests > 0 ? ` (${((100 * t.errors) / t.requests).toFixed(2)}%)` : "";
  const bound = (ms: number | undefined) =>
    ms === undefined ? "-" : Number.isFinite(ms) ? `≤${ms}ms` : ">10s";
  return `${t.requests} requests, ${t.errors} 5xx${rate}, p50 ${bound(t.p50Ms)}, p99 ${bound(t.p99Ms)}, ${t.inFlight} in flight`;
}

/** What runs where for one service in one environment (`tandem status`), with its traffic lines. */
export function whereLines(entry: WhereEntry): string {
  const versions = [...new Set(entry.instances.map((i) => i.version))].join(", ") || "-";
  const router = entry.router ? `${entry.router.listenHost}:${entry.router.listenPort}` : "-";
  const lines = [
    `  ${entry.environment.padEnd(12)} ${entry.service.padEnd(12)} stable ${(entry.stable?.version ?? "-").padEnd(10)} instances ${String(entry.instances.length).padStart(2)} (${versions})  router ${router}`,
  ];
  for (const [version, t] of Object.entries(entry.traffic ?? {})) {
    lines.push(`      ${version.padEnd(14)} ${trafficLine(t)}`);
  }
  if (entry.routerProblem) lines.push(`      router: ${entry.routerProblem}`);
  return lines.join("\n");
}
