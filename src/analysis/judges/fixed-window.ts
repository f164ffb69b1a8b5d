import { histogramQuantile } from "../../routers/histogram.js";
import type { LatencyHistogram } from "../../routers/types.js";
import { fisherExactSf } from "../stats/exact.js";
import { histogramTotal, scaleHistogram } from "../stats/histogram-math.js";
import type { Boundary } from "../stats/proportions.js";
import { normalSf } from "../stats/special.js";
import type { Measurement, MetricVerdict } from "../types.js";
import { comparablePair, isVerdict } from "./samples.js";
import type { CompareSpec } from "./types.js";
import { allowances, DEFAULT_ALPHA, percent } from "./types.js";

/**
 * Fixed-sample tests, one decision per window: Kayenta's style, kept as the benchmark's anchor. Each
 * p-value is valid for ONE look only; repeating them over a rollout inflates false alarms (see
 * docs/analysis-method.md), which is why `compareJudge` is the default.
 */

export interface TestResult {
  statistic: number;
  /** One-sided p-value for "the canary is worse by more than the allowance". */
  pValue: number;
}

/**
 * One-sided z-test of H0: p_c <= factor · p_b + shift. The variance is taken at the rates H0 would
 * give (the pooled estimate when there is no allowance), so tiny samples do not get a zero variance.
 */
export function twoProportionZTest(
  canary: { errors: number; requests: number },
  baseline: { errors: number; requests: number },
  bound: Boundary = { factor: 1, shift: 0 },
): TestResult {
  const { factor: k, shift: a } = bound;
  const nc = canary.requests;
  const nb = baseline.requests;
  if (nc === 0 || nb === 0) return { statistic: 0, pValue: 1 };
  const diff = canary.errors / nc - k * (baseline.errors / nb) - a;
  const pb = Math.min(Math.max((canary.errors + baseline.errors - nc * a) / (k * nc + nb), 0), (1 - a) / k);
  const pc = k * pb + a;
  const se = Math.sqrt((pc * (1 - pc)) / nc + (k * k * pb * (1 - pb)) / nb);
  if (!(se > 0)) return { statistic: diff > 0 ? Number.POSITIVE_INFINITY : 0, pValue: diff > 0 ? 0 : 1 };
  const z = diff / se;
  return { statistic: z, pValue: normalSf(z) };
}

/**
 * One-sided Mann-Whitney U test of "canary latencies are larger than the baseline's", on histograms
 * with the same buckets: each bucket is a tie group; normal approximation with tie and continuity
 * corrections. `bound` applies maxIncrease by re-binning the baseline as factor · X + shift ms.
 */
export function mannWhitneyHistograms(
  canary: LatencyHistogram,
  baseline: LatencyHistogram,
  bound: Boundary = { factor: 1, shift: 0 },
): TestResult {
  const b =
    bound.factor === 1 && bound.shift === 0 ? baseline : scaleHistogram(baseline, bound.factor, bound.shift);
  const n1 = histogramTotal(canary);
  const n2 = histogramTotal(b);
  if (n1 === 0 || n2 === 0) return { statistic: 0, pValue: 1 };
  let u = 0;
  let below = 0;
  let ties = 0;
  for (let j = 0; j < canary.counts.length; j++) {
    const c = canary.counts[j] ?? 0;
    const d = b.counts[j] ?? 0;
    u += c * (below + d / 2);
    below += d;
    const t = c + d;
    ties += t * t * t - t;
  }
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (!(variance > 1e-9)) return { statistic: 0, pValue: 1 };
  const z = (u - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance);
  return { statistic: z, pValue: normalSf(z) };
}

/** `failed` when worse at 1 − alpha confidence over this one window, `successful` otherwise. */
export function fixedWindowJudge(spec: CompareSpec, measurement: Measurement): MetricVerdict {
  const pair = comparablePair(spec, measurement);
  if (isVerdict(pair)) return pair;
  const { canary, baseline } = pair;
  const alpha = spec.alpha ?? DEFAULT_ALPHA;
  const confidence = `${percent(1 - alpha, 0)} confidence`;
  // With two allowances H0 is their union: reject it only if every allowance is rejected.
  const bounds = allowances(spec.maxIncrease);
  if (spec.metric === "error_rate") {
    if (canary.requests === 0 || baseline.requests === 0)
      return { verdict: "inconclusive", reason: "no data: a version had no requests in the window" };
    // Without an allowance: the exact test (Fisher's, which is also the exact permutation test of
    // Kayenta's Mann-Whitney U on 0/1 outcomes); the z-test's normal approximation false-alarms about
    // twice as often as stated at a few errors per window. With an allowance: the z-test at H0's rates.
    const exact = bounds.length === 1 && bounds[0]!.factor === 1 && bounds[0]!.shift === 0;
    const pValue = exact
      ? fisherExactSf(canary.requests, canary.errors, baseline.requests, baseline.errors)
      : Math.max(...bounds.map((bound) => twoProportionZTest(canary, baseline, bound).pValue));
    const rc = canary.errors / canary.requests;
    const rb = baseline.errors / baseline.requests;
    const detail = { canaryRate: rc, baselineRate: rb, pValue, canaryRequests: canary.requests };
    const figures = `error rate ${percent(rc)} vs ${percent(rb)} stable`;
    return pValue < alpha
      ? {
          verdict: "failed",
          reason: `${figures}: worse at ${confidence} (p=${pValue.toPrecision(2)})`,
          detail,
        }
      : { verdict: "successful", reason: `${figures}: not shown worse (p=${pValue.toPrecision(2)})`, detail };
  }
  const hc = canary.latency as LatencyHistogram;
  const hb = baseline.latency as LatencyHistogram;
  if (histogramTotal(hc) === 0 || histogramTotal(hb) === 0)
    return { verdict: "inconclusive", reason: "no data: a version had no latency samples in the window" };
  const pValue = Math.max(...bounds.map((bound) => mannWhitneyHistograms(hc, hb, bound).pValue));
  const q = spec.quantile ?? 0.5;
  const qc = histogramQuantile(hc, q) ?? Number.NaN;
  const qb = histogramQuantile(hb, q) ?? Number.NaN;
  const figures = `p${Math.round(q * 100)} ≤${qc}ms vs ≤${qb}ms stable`;
  const detail = { pValue, canaryQuantileMs: qc, baselineQuantileMs: qb };
  return pValue < alpha
    ? {
        verdict: "failed",
        reason: `${figures}: slower at ${confidence} (Mann-Whitney p=${pValue.toPrecision(2)})`,
        detail,
      }
    : {
        verdict: "successful",
        reason: `${figures}: not shown slower (Mann-Whitney p=${pValue.toPrecision(2)})`,
        detail,
      };
}
