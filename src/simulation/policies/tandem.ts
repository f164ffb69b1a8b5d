import { accumulate, emptySample, subtractSample, type TrafficTick } from "../traffic.js";
import {
  CONTINUE,
  type CompareJudge,
  type CompareSpec,
  type Policy,
  type PolicyDecision,
  type SequentialTest,
} from "./types.js";

/**
 * Tandem's policy: canary steps (default 5% → 25% → 50% → 100%), each followed by `pause: auto`,
 * with a sequential (anytime-valid) comparison judge looked at every `lookMs` (default 10 s):
 *
 * - **worse → roll back now**: at every look each metric is judged on the canary's and the
 *   baseline's traffic since the rollout began (cumulative, one sequential test over the whole
 *   rollout, so its false-alarm bound `alpha` holds over all the looks and all the steps); any
 *   `failed` rolls back at that look;
 * - **not worse → advance now**: the step ends early when every metric is judged `successful` on the
 *   traffic since *this step* began (each step earns its own evidence at its own weight; a `failed`
 *   here is ignored, only the cumulative test rolls back, so false rollbacks are not multiplied);
 * - **not yet**: otherwise the step waits, at most `maxPauseMs` (default 5 min, the length of a timed
 *   pause), then advances as a timed pause would; the cumulative test keeps watching at the next
 *   weight. After the last step the canary is promoted (100%).
 */
export interface TandemOptions {
  /** Canary weights in percent before promotion (default 5, 25, 50). */
  steps?: number[];
  lookMs?: number;
  maxPauseMs?: number;
  /** The comparisons; a step advances when all are judged `successful` on its own traffic. */
  metrics: CompareSpec[];
  /**
   * The comparisons of the cumulative rollback test, when they differ from `metrics` (e.g. no
   * `maxIncrease`: roll back on any increase shown at 1 − alpha, while a step still needs the canary
   * within `maxIncrease` to advance early). Default: `metrics`.
   */
  rollbackMetrics?: CompareSpec[];
  /**
   * More rollback rules, fresh for each rollout: stateful sequential tests looked at with the
   * cumulative samples at every look (a conditional comparison, a threshold on the error rate). Any
   * `failed` rolls back. The false-rollback bound of the policy is the sum of the alphas of all its
   * rollback rules (`rollbackMetrics` and these).
   */
  rollbackTests?: () => SequentialTest[];
  /**
   * What ends the last step's pause (the one before 100%) when the judge keeps saying not yet:
   * `timeout` (default) promotes at `maxPauseMs` like the other steps; `evidence` promotes only once
   * the step's traffic is judged not worse (or rolls back when the cumulative test says worse), since
   * promotion is the one move that cannot be taken back cheaply.
   */
  promoteOn?: "timeout" | "evidence";
  judge: CompareJudge;
}

export function tandemPolicy(options: TandemOptions): Policy {
  const steps = options.steps ?? [5, 25, 50];
  const lookMs = options.lookMs ?? 10_000;
  const maxPauseMs = options.maxPauseMs ?? 300_000;
  if (steps.length === 0) throw new Error("tandemPolicy needs at least one step");
  let step = 0;
  let stepStartedAt = 0;
  const canary = emptySample();
  const baseline = emptySample();
  let canaryAtStep = emptySample();
  let baselineAtStep = emptySample();
  let last = `step 1: weight ${steps[0]}`;
  const tests = options.rollbackTests?.() ?? [];

  const advance = (at: number, why: string): PolicyDecision => {
    step++;
    if (step >= steps.length) return { action: "promote", reason: why };
    stepStartedAt = at;
    canaryAtStep = { ...canary, latency: { ...canary.latency, counts: [...canary.latency.counts] } };
    baselineAtStep = { ...baseline, latency: { ...baseline.latency, counts: [...baseline.latency.counts] } };
    last = `step ${step + 1}: weight ${steps[step]} (${why})`;
    return CONTINUE;
  };

  return {
    name: "tandem",
    weight: () => steps[step]!,
    describe: () => last,
    observe(tick: TrafficTick): PolicyDecision {
      accumulate(canary, tick.canary);
      accumulate(baseline, tick.baseline);
      if (tick.at % lookMs !== 0) return CONTINUE;
      const cumulative = { at: tick.at, canary, baseline };
      for (const spec of options.rollbackMetrics ?? options.metrics) {
        const verdict = options.judge(spec, cumulative);
        if (verdict.verdict === "failed") {
          return { action: "rollback", reason: `${spec.metric} at weight ${steps[step]}: ${verdict.reason}` };
        }
      }
      for (const test of tests) {
        const verdict = test.observe(cumulative);
        if (verdict.verdict === "failed") {
          return { action: "rollback", reason: `${test.name} at weight ${steps[step]}: ${verdict.reason}` };
        }
      }
      const sinceStep = {
        at: tick.at,
        canary: subtractSample(canary, canaryAtStep),
        baseline: subtractSample(baseline, baselineAtStep),
      };
      if (options.metrics.every((spec) => options.judge(spec, sinceStep).verdict === "successful")) {
        return advance(tick.at, `not worse at weight ${steps[step]}`);
      }
      const lastStep = step === steps.length - 1;
      if (tick.at - stepStartedAt >= maxPauseMs && !(lastStep && options.promoteOn === "evidence")) {
        return advance(tick.at, `pause ended at weight ${steps[step]}`);
      }
      return CONTINUE;
    },
  };
}
