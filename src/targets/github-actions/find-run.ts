import { randomSuffix } from "../instance-id.js";
import type { WorkflowJob, WorkflowRun } from "./client.js";

/**
 * How Tandem finds the run a dispatch started. GitHub answers a dispatch with 204 and no run id, so
 * Tandem passes a unique correlation id as the input `tandem_id`, and the workflow shows it in its run
 * name (`run-name: Deploy ${{ inputs.version }} [${{ inputs.tandem_id }}]`), which the API returns as
 * the run's `display_title`.
 */

/** `tandem-` and ten lowercase letters or digits. */
const CORRELATION_ID = /tandem-[a-z0-9]{10}/;

/** Runs created this long before the dispatch (by our clock) are still candidates: clocks differ. */
export const CREATED_SKEW_MS = 60_000;

export function newCorrelationId(): string {
  return `tandem-${randomSuffix(10)}`;
}

export interface RunMatch {
  run: WorkflowRun;
  /** `tandem_id`: the run's title carries our correlation id; `newest`: the fallback. */
  by: "tandem_id" | "newest";
}

/**
 * The run among `runs` that our dispatch started: the one whose name or title contains
 * `correlationId`; failing that, the newest run created since `dispatchedAt` (less the skew) that
 * carries no other Tandem correlation id and that no other deployment claimed already. The fallback
 * can take a run someone else dispatched at the same moment: use the run-name convention.
 */
export function matchRun(
  runs: readonly WorkflowRun[],
  want: { correlationId: string; dispatchedAt: number; claimed: ReadonlySet<number> },
): RunMatch | undefined {
  const titled = runs.find(
    (run) => run.display_title?.includes(want.correlationId) || run.name?.includes(want.correlationId),
  );
  if (titled) return { run: titled, by: "tandem_id" };
  const since = Math.floor((want.dispatchedAt - CREATED_SKEW_MS) / 1000) * 1000;
  const newest = runs
    .filter((run) => Date.parse(run.created_at) >= since)
    .filter((run) => !CORRELATION_ID.test(`${run.display_title ?? ""} ${run.name ?? ""}`))
    .filter((run) => !want.claimed.has(run.id))
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id)[0];
  return newest ? { run: newest, by: "newest" } : undefined;
}

/** A step named `tandem-output <key>=<value>` publishes one output (see the README). */
const OUTPUT_STEP = /^tandem-output\s+([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/s;

/** The outputs a run published through its step names; a later step wins over an earlier one. */
export function outputsOf(jobs: readonly WorkflowJob[]): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const job of jobs) {
    for (const step of job.steps ?? []) {
      const match = OUTPUT_STEP.exec(step.name.trim());
      if (match) outputs[match[1]!] = match[2]!.trim();
    }
  }
  return outputs;
}
