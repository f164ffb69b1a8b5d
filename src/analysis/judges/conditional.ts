import type { LatencyHistogram } from "../../routers/types.js";
import { logMeanExp, ODDS_RATIOS, OddsRatioEProcess } from "../stats/eprocess.js";
import { countAtMost, histogramTotal } from "../stats/histogram-math.js";
import type { Measurement, MetricVerdict, VersionSample } from "../types.js";
import { comparablePair, isVerdict } from "./samples.js";
import type { CompareSpec } from "./types.js";
import { DEFAULT_ALPHA, percent } from "./types.js";

/**
 * The conditional sequential comparison (docs/analysis-method.md, "Faster at low traffic"): is the
 * canary worse than the baseline at all? Error rates: the canary's share of each span's errors
 * (Fisher's noncentral hypergeometric, odds ratio ψ; H0 ψ ≤ 1). Latency: the same for the requests
 * slower than each bucket bound, and the mean of those e-processes over the bounds. The baseline's
 * rate is never estimated, so a bad version is caught with fewer canary requests than by the
 * universal-inference test of `compareJudge`, most of all when the baseline has most of the traffic.
 *
 * It decides only "worse" (`failed`) or "not yet" (`running`): a rollback rule. It needs the samples
 * of each span between looks, so it is fed the cumulative measurements of every look in order.
 * Supports `maxIncrease: {}` only (no allowance: the null ψ ≤ 1 is exact).
 */
/** Everything a ConditionalComparison carries between looks, as plain data (stored with a rollout). */
export interface ConditionalState {
  sums: number[][];
  previous?: { canary: VersionSample; baseline: VersionSample };
  crossed?: MetricVerdict;
  split: number[];
  logBet: number;
}

export class ConditionalComparison {
  private readonly processes: OddsRatioEProcess[] = [];
  private previous: { canary: VersionSample; baseline: VersionSample } | undefined;
  private crossed: MetricVerdict | undefined;
  /** Latency: requests seen on the rarer side of each bound so far, and ln of the bet over the bounds. */
  private split: number[] = [];
  private logBet = 0;
  private readonly threshold: number;

  /** `oddsRatios`: the grid of alternatives ψ1 > 1 mixed with equal weights (default `ODDS_RATIOS`). */
  constructor(
    readonly spec: CompareSpec,
    private readonly oddsRatios: readonly number[] = ODDS_RATIOS,
  ) {
    this.threshold = Math.log(1 / (spec.alpha ?? DEFAULT_ALPHA));
  }

  /** What to store to continue after this look (see `restore`). */
  snapshot(): ConditionalState {
    return {
      sums: this.processes.map((p) => p.state),
      ...(this.previous
        ? { previous: { canary: clone(this.previous.canary), baseline: clone(this.previous.baseline) } }
        : {}),
      ...(this.crossed ? { crossed: this.crossed } : {}),
      split: [...this.split],
      logBet: this.logBet,
    };
  }

  /** The comparison as it was after the look whose `snapshot` this is. */
  static restore(spec: CompareSpec, state: ConditionalState | undefined): ConditionalComparison {
    const test = new ConditionalComparison(spec);
    if (!state) return test;
    for (const sums of state.sums) test.processes.push(OddsRatioEProcess.restore(test.oddsRatios, sums));
    test.previous = state.previous;
    test.crossed = state.crossed;
    test.split = [...state.split];
    test.logBet = state.logBet;
    return test;
  }

  /** The next look's cumulative samples (since the analysis began). Once `failed`, stays `failed`. */
  observe(measurement: Measurement): MetricVerdict {
    if (this.crossed) return this.crossed;
    const { spec } = this;
    if (spec.maxIncrease.relative !== undefined || spec.maxIncrease.absolute !== undefined)
      return {
        verdict: "error",
        reason: "the conditional comparison supports no maxIncrease (worse at all)",
      };
    const pair = comparablePair(spec, measurement);
    if (isVerdict(pair)) return pair;
    const { canary, baseline } = pair;
    const before = this.previous;
    this.previous = { canary: clone(canary), baseline: clone(baseline) };
    const alpha = spec.alpha ?? DEFAULT_ALPHA;
    const confidence = `${percent(1 - alpha, alpha < 0.01 ? 1 : 0)} confidence`;
    let logE: number;
    let figures: string;
    let where = "";
    if (spec.metric === "error_rate") {
      if (this.processes.length === 0) this.processes.push(new OddsRatioEProcess(this.oddsRatios));
      const dc = canary.requests - (before?.canary.requests ?? 0);
      const db = baseline.requests - (before?.baseline.requests ?? 0);
      const ec = canary.errors - (before?.canary.errors ?? 0);
      const eb = baseline.errors - (before?.baseline.errors ?? 0);
      if (dc < 0 || db < 0 || ec < 0 || eb < 0)
        return { verdict: "error", reason: "cumulative counts went down between looks" };
      this.processes[0]!.add(dc, ec, db, eb);
      logE = this.processes[0]!.logE();
      const rc = canary.requests > 0 ? canary.errors / canary.requests : Number.NaN;
      const rb = baseline.requests > 0 ? baseline.errors / baseline.requests : Number.NaN;
      figures = `error rate ${percent(rc)} vs ${percent(rb)} stable`;
    } else {
      const hc = canary.latency as LatencyHistogram;
      const hb = baseline.latency as LatencyHistogram;
      const pc = before?.canary.latency;
      const pb = before?.baseline.latency;
      while (this.processes.length < hc.boundsMs.length)
        this.processes.push(new OddsRatioEProcess(this.oddsRatios));
      const nc = histogramTotal(hc) - (pc ? histogramTotal(pc) : 0);
      const nb = histogramTotal(hb) - (pb ? histogramTotal(pb) : 0);
      // The bounds are combined by betting: before each span the weights go to the bounds that have
      // already seen at least MIN_SPLIT requests on each side of them (both versions together), in
      // proportion to their evidence so far; a predictable choice, so the product of the spans'
      // weighted likelihood ratios is still an e-process, and bounds far outside the latencies (all
      // requests faster, or all slower) do not dilute the evidence.
      const logBefore = this.processes.map((p) => p.logE());
      const active = this.split.map((n) => n >= MIN_SPLIT);
      const anyActive = active.some(Boolean);
      const weightsLog = logBefore.map((l, i) => (!anyActive || active[i] ? l : Number.NEGATIVE_INFINITY));
      const norm = logMeanExp(weightsLog.filter(Number.isFinite));
      const factors: number[] = [];
      const logs: number[] = [];
      hc.boundsMs.forEach((tau, i) => {
        const sc = nc - (countAtMost(hc, tau) - (pc ? countAtMost(pc, tau) : 0));
        const sb = nb - (countAtMost(hb, tau) - (pb ? countAtMost(pb, tau) : 0));
        this.processes[i]!.add(nc, sc, nb, sb);
        const after = this.processes[i]!.logE();
        logs.push(after);
        // weight (before) × this span's ratio = exp(logBefore + (after − before) − norm) / count
        if (Number.isFinite(weightsLog[i]!)) factors.push(weightsLog[i]! + (after - logBefore[i]!) - norm);
        this.split[i] = (this.split[i] ?? 0) + Math.min(sc + sb, nc + nb - sc - sb);
      });
      this.logBet += logMeanExp(factors);
      logE = this.logBet;
      const worst = logs.indexOf(Math.max(...logs));
      where = `, most at ${hc.boundsMs[worst]}ms`;
      figures = `latency of ${histogramTotal(hc)} canary requests`;
    }
    const detail = { logEWorse: logE, logThreshold: this.threshold };
    if (logE >= this.threshold) {
      this.crossed = {
        verdict: "failed",
        reason: `${figures}: worse at ${confidence} (conditional test, allowing no increase${where})`,
        detail,
      };
      return this.crossed;
    }
    return {
      verdict: "running",
      reason: `${figures}: not shown worse yet (evidence ${percent(Math.max(0, logE) / this.threshold, 0)} of the way)`,
      detail,
    };
  }
}

/** A latency bound joins the bet once this many requests fell on each side of it (see `observe`). */
const MIN_SPLIT = 5;

function clone(s: VersionSample): VersionSample {
  return s.latency ? { ...s, latency: { ...s.latency, counts: [...s.latency.counts] } } : { ...s };
}

/**
 * The pure form: the verdict after the cumulative measurements of every look so far, in order.
 * `failed` once the evidence reached 1/alpha at any look (the rollout would have stopped there).
 */
export function conditionalCompareJudge(spec: CompareSpec, looks: readonly Measurement[]): MetricVerdict {
  const test = new ConditionalComparison(spec);
  let verdict: MetricVerdict = { verdict: "running", reason: "no looks yet" };
  for (const look of looks) verdict = test.observe(look);
  return verdict;
}
