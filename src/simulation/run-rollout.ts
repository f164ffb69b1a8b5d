import type { Policy } from "./policies/types.js";
import { type TrafficSpec, TrafficTrace } from "./traffic.js";

/**
 * Runs one rollout policy against one seeded trace, in virtual time, and measures what it cost.
 *
 * The trace always runs for the whole `horizonMs` (default 30 min): after a rollback the canary gets
 * 0% of the traffic, after a promotion 100%, and while the policy has not decided, what it says. So a
 * policy that promotes a bad version pays for it until the horizon, and every policy is measured over
 * the same span of the same requests.
 *
 * - `failedRequests`: requests that failed because of the new version, over the horizon: canary
 *   requests that failed and would have succeeded on the baseline (the simulator draws one error
 *   number per request and compares it with each version's error rate, so this is exact, not an
 *   estimate). For a version whose error rate is no worse it is 0.
 * - `failedBeforeVerdict`: the same, counted up to the policy's verdict only.
 * - `canaryRequests` / `canaryRequestsBeforeVerdict`: requests the new version served (for a slower
 *   version: the requests that were slowed).
 * - `verdictAtMs`: when the policy rolled back or promoted (undefined: no verdict by the horizon).
 */
export interface RolloutOutcome {
  policy: string;
  decision: "rolled_back" | "promoted" | "undecided";
  verdictAtMs?: number;
  reason: string;
  failedRequests: number;
  failedBeforeVerdict: number;
  canaryRequests: number;
  canaryRequestsBeforeVerdict: number;
  /** Weight changes and the verdict, for people (`tandem simulate`). */
  timeline: { at: number; weight: number; note: string }[];
}

export interface RunOptions {
  horizonMs?: number;
  /** Keep a timeline of weight changes (default true). */
  timeline?: boolean;
}

export function runRollout(
  policy: Policy,
  spec: TrafficSpec,
  seed: number,
  options: RunOptions = {},
): RolloutOutcome {
  const horizonMs = options.horizonMs ?? 1_800_000;
  const keepTimeline = options.timeline ?? true;
  const trace = new TrafficTrace(spec, seed);
  const timeline: RolloutOutcome["timeline"] = [];
  let decision: RolloutOutcome["decision"] = "undecided";
  let reason = "no verdict before the horizon";
  let verdictAtMs: number | undefined;
  let failedRequests = 0;
  let canaryRequests = 0;
  let failedBeforeVerdict = 0;
  let canaryRequestsBeforeVerdict = 0;
  let weight = policy.weight();
  if (keepTimeline) timeline.push({ at: 0, weight, note: policy.describe?.() ?? `weight ${weight}` });

  while (trace.now < horizonMs) {
    if (decision === "undecided") weight = policy.weight();
    const tick = trace.next(weight);
    failedRequests += tick.canaryExcessErrors;
    canaryRequests += tick.canary.requests;
    if (decision !== "undecided") continue;
    failedBeforeVerdict += tick.canaryExcessErrors;
    canaryRequestsBeforeVerdict += tick.canary.requests;
    const decided = policy.observe(tick);
    if (decided.action === "continue") {
      if (keepTimeline && policy.weight() !== weight) {
        timeline.push({ at: tick.at, weight: policy.weight(), note: policy.describe?.() ?? "" });
      }
      continue;
    }
    decision = decided.action === "rollback" ? "rolled_back" : "promoted";
    reason = decided.reason;
    verdictAtMs = tick.at;
    weight = decided.action === "rollback" ? 0 : 100;
    if (keepTimeline) timeline.push({ at: tick.at, weight, note: `${decision}: ${reason}` });
  }
  return {
    policy: policy.name,
    decision,
    ...(verdictAtMs === undefined ? {} : { verdictAtMs }),
    reason,
    failedRequests,
    failedBeforeVerdict,
    canaryRequests,
    canaryRequestsBeforeVerdict,
    timeline,
  };
}
