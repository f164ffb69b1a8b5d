import { accumulate, emptySample, type TrafficTick } from "../traffic.js";
import { CONTINUE, type CompareJudge, type CompareSpec, type Policy, type PolicyDecision } from "./types.js";

/**
 * A Kayenta-style fixed-window canary: the canary steps through `steps` (percent); each step lasts
 * `windowMs`, and at the end of the window, once, the judge compares the canary's traffic of that
 * window with the baseline's of the same window (Kayenta's NetflixACAJudge: Mann-Whitney U on
 * latency, and here a two-proportion test on error rates, at confidence 0.98). Any metric judged
 * `failed` rolls the canary back at that moment; otherwise it moves to the next step; after the last
 * step's window it is promoted (100%). A judgment with no data, `inconclusive` or `running` does not
 * fail the canary (Kayenta scores a metric without data as a pass, NODATA).
 */
export interface FixedWindowOptions {
  /** Canary weights in percent, in order (default 5, 25, 50; promotion to 100 follows the last). */
  steps?: number[];
  /** Length of each step's window, judged once at its end (default 5 min). */
  windowMs?: number;
  metrics: CompareSpec[];
  judge: CompareJudge;
}

export function fixedWindowPolicy(options: FixedWindowOptions): Policy {
  const steps = options.steps ?? [5, 25, 50];
  const windowMs = options.windowMs ?? 300_000;
  if (steps.length === 0) throw new Error("fixedWindowPolicy needs at least one step");
  let step = 0;
  let stepStartedAt = 0;
  let canary = emptySample();
  let baseline = emptySample();
  let last = `step 1: weight ${steps[0]}`;

  return {
    name: "fixed-window",
    weight: () => steps[step]!,
    describe: () => last,
    observe(tick: TrafficTick): PolicyDecision {
      accumulate(canary, tick.canary);
      accumulate(baseline, tick.baseline);
      if (tick.at - stepStartedAt < windowMs) return CONTINUE;
      const measurement = { at: tick.at, canary, baseline };
      for (const spec of options.metrics) {
        const verdict = options.judge(spec, measurement);
        if (verdict.verdict === "failed") {
          return { action: "rollback", reason: `${spec.metric} at weight ${steps[step]}: ${verdict.reason}` };
        }
      }
      step++;
      if (step >= steps.length) return { action: "promote", reason: `all ${steps.length} windows passed` };
      stepStartedAt = tick.at;
      canary = emptySample();
      baseline = emptySample();
      last = `step ${step + 1}: weight ${steps[step]}`;
      return CONTINUE;
    },
  };
}
