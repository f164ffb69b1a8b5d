import type { AnalysisRunState } from "../core/analysis.js";
import type { RolloutState } from "../core/types.js";

function value(v: number | undefined): string {
  if (v === undefined) return "no data";
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** One run: its phase and why, then each metric's latest measurement, verdict and reason. */
export function analysisLines(run: AnalysisRunState, indent = "    "): string[] {
  const what = `${run.kind === "background" ? "background analysis" : "analysis"} ${run.spec.templates.join(", ")}`;
  const head = `${indent}${what}: ${run.phase}${run.spec.dryRun ? " (dry run)" : ""}${
    run.phase !== "running" && run.reason ? ` — ${run.reason}` : ""
  }`;
  const metrics = run.spec.metrics.map((metric) => {
    const tally = run.tallies[metric.name];
    const last = tally?.last;
    if (!last) return `${indent}  ${metric.name}: not measured yet`;
    return `${indent}  ${metric.name} = ${value(last.value)}: ${last.verdict} (${last.reason}) [${tally.measurements} looks, ${tally.failed} failed]`;
  });
  return [head, ...metrics];
}

/** The analyses of a rollout worth showing: the current or last analysis step, and the background one. */
export function rolloutAnalysisLines(rollout: RolloutState): string[] {
  return [rollout.analysis, rollout.backgroundRun].flatMap((run) => (run ? analysisLines(run) : []));
}
