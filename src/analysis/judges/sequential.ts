import { histogramQuantile } from "../../routers/histogram.js";
import type { LatencyHistogram } from "../../routers/types.js";
import { countAtMost, histogramTotal } from "../stats/histogram-math.js";
import type { Boundary, Counts } from "../stats/proportions.js";
import { logEValue } from "../stats/proportions.js";
import type { Measurement, MetricVerdict, VersionSample } from "../types.js";
import { comparablePair, isVerdict } from "./samples.js";
import type { CompareSpec } from "./types.js";
import { allowances, DEFAULT_ALPHA, DEFAULT_QUANTILE, percent } from "./types.js";

/**
 * The sequential, anytime-valid comparison (docs/analysis-method.md). Each look computes two
 * e-processes from the cumulative samples: evidence that the canary is worse than allowed, and
 * evidence that it is within the allowance. Either reaching 1/alpha decides; by Ville's inequality
 * each is wrong with probability at most alpha over ALL looks of the rollout, however many.
 */

export interface Evidence {
  /** ln of the e-value against "the canary is within the allowance". */
  logWorse: number;
  /** ln of the e-value against "the canary is worse than allowed". */
  logNotWorse: number;
  /** For the reason: where the evidence is (the latency bound in ms, when latency). */
  worstBoundMs?: number;
}

const NO_SHIFT: Boundary = { factor: 1, shift: 0 };

function counts(s: VersionSample): Counts {
  return { events: s.errors, trials: s.requests };
}

/** Error rates: H0 for "worse" is the union of the allowances, for "not worse" their intersection. */
export function errorRateEvidence(
  canary: VersionSample,
  baseline: VersionSample,
  spec: CompareSpec,
): Evidence {
  const bounds = allowances(spec.maxIncrease);
  const c = counts(canary);
  const b = counts(baseline);
  return {
    // sup over a union of nulls is the max of the sups, so the e-value is the min
    logWorse: Math.min(...bounds.map((bound) => logEValue(c, b, bound, "worse"))),
    // sup over an intersection is at most the min of the sups: the max e-value is conservative
    logNotWorse: Math.max(...bounds.map((bound) => logEValue(c, b, bound, "notWorse"))),
  };
}

function logMeanExp(xs: number[]): number {
  const top = Math.max(...xs);
  if (!Number.isFinite(top)) return top;
  return top + Math.log(xs.reduce((sum, x) => sum + Math.exp(x - top), 0) / xs.length);
}

/**
 * Latency, as the stochastic order of Lindon et al. with the allowance applied to the baseline: H0 for
 * "worse" is "canary ≤ factor · baseline + shift in distribution", so at every bucket bound τ the
 * canary's share slower than τ is at most the baseline's share slower than (τ − shift) / factor
 * (interpolated inside a bucket). One e-process per bound; their mean is an e-process for H0.
 * "Not worse" needs every bound's share within the allowance plus 1 − quantile, each at alpha
 * (an intersection-union test, no correction needed).
 */
export function latencyEvidence(
  canary: LatencyHistogram,
  baseline: LatencyHistogram,
  spec: CompareSpec,
): Evidence {
  const bounds = allowances(spec.maxIncrease);
  const slack: Boundary = { factor: 1, shift: 1 - (spec.quantile ?? DEFAULT_QUANTILE) };
  const nc = histogramTotal(canary);
  const nb = histogramTotal(baseline);
  const worse: number[] = [];
  const notWorse: number[] = [];
  for (const tau of canary.boundsMs) {
    const c = { events: nc - countAtMost(canary, tau), trials: nc };
    const scaled = bounds.map((bd) => ({
      events: nb - countAtMost(baseline, (tau - bd.shift) / bd.factor),
      trials: nb,
    }));
    worse.push(Math.min(...scaled.map((b) => logEValue(c, b, NO_SHIFT, "worse"))));
    notWorse.push(Math.max(...scaled.map((b) => logEValue(c, b, slack, "notWorse"))));
  }
  if (worse.length === 0) return { logWorse: 0, logNotWorse: 0 };
  const worst = worse.indexOf(Math.max(...worse));
  return {
    logWorse: logMeanExp(worse),
    logNotWorse: Math.min(...notWorse),
    worstBoundMs: canary.boundsMs[worst],
  };
}

function allowanceText(spec: CompareSpec): string {
  const { relative, absolute } = spec.maxIncrease;
  const unit = spec.metric === "latency" ? "ms" : "";
  const parts = [
    relative !== undefined ? `+${percent(relative, 0)}` : undefined,
    absolute !== undefined
      ? `+${spec.metric === "latency" ? absolute : percent(absolute)}${unit}`
      : undefined,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? `allowing ${parts.join(" or ")}` : "allowing no increase";
}

/**
 * The sequential judge: `failed` (worse than allowed: roll back now), `successful` (shown within the
 * allowance: may advance now), `running` (not yet). Give it the samples since the analysis began.
 */
export function compareJudge(spec: CompareSpec, measurement: Measurement): MetricVerdict {
  const pair = comparablePair(spec, measurement);
  if (isVerdict(pair)) return pair;
  const { canary, baseline } = pair;
  const alpha = spec.alpha ?? DEFAULT_ALPHA;
  const threshold = Math.log(1 / alpha);
  const confidence = `${percent(1 - alpha, 0)} confidence`;
  let evidence: Evidence;
  let figures: string;
  let detail: Record<string, number>;
  if (spec.metric === "error_rate") {
    if (canary.requests === 0) return { verdict: "running", reason: "no canary requests yet" };
    evidence = errorRateEvidence(canary, baseline, spec);
    const rc = canary.errors / canary.requests;
    const rb = baseline.requests > 0 ? baseline.errors / baseline.requests : Number.NaN;
    figures = `error rate ${percent(rc)} vs ${baseline.requests > 0 ? percent(rb) : "no data"} stable`;
    detail = {
      canaryRate: rc,
      baselineRate: rb,
      canaryRequests: canary.requests,
      baselineRequests: baseline.requests,
    };
  } else {
    const hc = canary.latency as LatencyHistogram;
    const hb = baseline.latency as LatencyHistogram;
    if (histogramTotal(hc) === 0) return { verdict: "running", reason: "no canary latency samples yet" };
    evidence = latencyEvidence(hc, hb, spec);
    const q = spec.quantile ?? DEFAULT_QUANTILE;
    const qc = histogramQuantile(hc, q) ?? Number.NaN;
    const qb = histogramQuantile(hb, q) ?? Number.NaN;
    figures = `p${Math.round(q * 1000) / 10} ≤${qc}ms vs ≤${qb}ms stable`;
    detail = { canaryQuantileMs: qc, baselineQuantileMs: qb, canarySamples: histogramTotal(hc) };
    if (evidence.worstBoundMs !== undefined) detail.worstBoundMs = evidence.worstBoundMs;
  }
  detail.logEWorse = evidence.logWorse;
  detail.logENotWorse = evidence.logNotWorse;
  detail.logThreshold = threshold;
  const allowing = allowanceText(spec);
  if (evidence.logWorse >= threshold) {
    const where = evidence.worstBoundMs !== undefined ? `, most at ${evidence.worstBoundMs}ms` : "";
    return { verdict: "failed", reason: `${figures}: worse at ${confidence} (${allowing}${where})`, detail };
  }
  if (evidence.logNotWorse >= threshold)
    return { verdict: "successful", reason: `${figures}: not worse at ${confidence} (${allowing})`, detail };
  const progress = Math.max(evidence.logWorse, evidence.logNotWorse) / threshold;
  return {
    verdict: "running",
    reason: `${figures}: not decided yet (${allowing}; evidence ${percent(Math.max(0, progress), 0)} of the way)`,
    detail,
  };
}
