import { logGamma } from "./special.js";

/**
 * Two e-processes with no nuisance parameter (docs/analysis-method.md, "Faster at low traffic"):
 *
 * 1. **One sample against a threshold** (an SLO such as "error rate ≤ 1%"): H0 is p ≤ p0. For any
 *    fixed alternative p1 > p0 the likelihood ratio Π (p1/p0)^x ((1−p1)/(1−p0))^(1−x) is a martingale
 *    with mean 1 under p0 and a supermartingale under every p < p0 (its one-step mean,
 *    p·p1/p0 + (1−p)(1−p1)/(1−p0), grows with p and is 1 at p0). A mixture over a grid of
 *    alternatives is therefore an e-process for the whole composite null, and it depends only on
 *    the cumulative counts. The mirror image (alternatives below p0) gives evidence that p < p0.
 *
 * 2. **Two samples, conditionally on the events** (Fisher's exact test made sequential, in the spirit
 *    of Lindon & Malek's anytime-valid multinomial tests used for Netflix's count metrics): between
 *    two looks the canary served n_c requests and the baseline n_b, with m events (errors) among them.
 *    Given n_c, n_b and m, the canary's share x of the events follows Fisher's noncentral
 *    hypergeometric distribution with the odds ratio ψ = [p_c/(1−p_c)] / [p_b/(1−p_b)] as its only
 *    parameter: the baseline's unknown rate drops out, so the test pays nothing for estimating it.
 *    The product over looks of FNCH(x; ψ1)/FNCH(x; 1) is a martingale under ψ = 1 and (the family
 *    has a monotone likelihood ratio in x) a supermartingale under every ψ < 1, i.e. whenever
 *    p_c ≤ p_b; a mixture over a grid of ψ1 > 1 is an e-process for "the canary is not worse". Exact
 *    for independent Bernoulli requests whatever the traffic split, as long as the split does not
 *    depend on the outcomes of the requests it routes; it needs the counts of each span between looks.
 */

/** ln of the weighted mean of exp(x_i) (weights sum to 1; equal weights when absent). */
export function logMeanExp(xs: readonly number[], weights?: readonly number[]): number {
  if (xs.length === 0) return Number.NEGATIVE_INFINITY;
  const top = Math.max(...xs);
  if (!Number.isFinite(top)) return top;
  let sum = 0;
  for (let i = 0; i < xs.length; i++)
    sum += (weights ? (weights[i] ?? 0) : 1 / xs.length) * Math.exp(xs[i]! - top);
  return top + Math.log(sum);
}

/** The default alternatives of the threshold test, as multiples of p0 above it (capped below 1). */
export const ABOVE_MULTIPLES = [1.5, 2, 3, 5, 10, 20];
/** ... and below it, for evidence that the rate is under the threshold. */
export const BELOW_MULTIPLES = [0.75, 0.5, 0.25, 0.1];

/** ln(p1/p0)·x + ln((1−p1)/(1−p0))·(n−x), with 0·ln 0 = 0. */
function logLR(events: number, trials: number, p1: number, p0: number): number {
  const misses = trials - events;
  let sum = 0;
  if (events > 0) sum += events * (Math.log(p1) - Math.log(p0));
  if (misses > 0) sum += misses * (Math.log1p(-p1) - Math.log1p(-p0));
  return sum;
}

/**
 * ln E for H0 "p ≤ p0" (`above`: evidence that p > p0) or "p ≥ p0" (`below`), from `events` out of
 * `trials` since the test began: the equal-weight mixture of the likelihood ratios of the grid.
 */
export function thresholdLogE(
  events: number,
  trials: number,
  p0: number,
  direction: "above" | "below",
): number {
  if (trials <= 0) return 0;
  const multiples = direction === "above" ? ABOVE_MULTIPLES : BELOW_MULTIPLES;
  const alternatives = [
    ...new Set(
      multiples.map((k) => Math.min(k * p0, (1 + p0) / 2)).filter((p) => p > 0 && p < 1 && p !== p0),
    ),
  ];
  if (alternatives.length === 0) return 0;
  return logMeanExp(alternatives.map((p1) => logLR(events, trials, p1, p0)));
}

/**
 * The default odds ratios ψ1 of the conditional test, equal weights: regressions from 1.5× to 16×
 * (an error rate 0.5% → 2% is ψ ≈ 4; a 20% slower median moves the share above a bound by ψ ≈ 2).
 */
export const ODDS_RATIOS: readonly number[] = [1.5, 2, 3, 4, 6, 10, 16];

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * ln FNCH(x; ψ)/FNCH(x; 1) for each ln ψ of `logPsis`: x of the m events came from the canary's n_c
 * trials, m − x from the baseline's n_b. Counts are rounded to integers.
 */
export function oddsRatioLogLR(
  nc: number,
  nb: number,
  m: number,
  x: number,
  logPsis: readonly number[],
): number[] {
  nc = Math.round(nc);
  nb = Math.round(nb);
  m = Math.round(m);
  x = Math.round(x);
  const lo = Math.max(0, m - nb);
  const hi = Math.min(m, nc);
  if (m <= 0 || hi <= lo) return logPsis.map(() => 0);
  // ln C(nc, y) + ln C(nb, m − y) for y = lo..hi, by the ratio recurrence from one exact value.
  const base: number[] = [logChoose(nc, lo) + logChoose(nb, m - lo)];
  for (let y = lo; y < hi; y++) {
    base.push(base[base.length - 1]! + Math.log(((nc - y) * (m - y)) / ((y + 1) * (nb - m + y + 1))));
  }
  const logNormalizer = (logPsi: number) => {
    let top = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < base.length; i++) top = Math.max(top, base[i]! + (lo + i) * logPsi);
    let sum = 0;
    for (let i = 0; i < base.length; i++) sum += Math.exp(base[i]! + (lo + i) * logPsi - top);
    return top + Math.log(sum);
  };
  const at1 = logNormalizer(0);
  return logPsis.map((logPsi) => x * logPsi - logNormalizer(logPsi) + at1);
}

/**
 * The conditional two-sample e-process, fed span by span (each span's counts, not cumulative ones).
 * `logE()` is ln of the equal-weight mixture over the grid of odds ratios of the running products.
 */
export class OddsRatioEProcess {
  private readonly logPsis: number[];
  private readonly sums: number[];

  constructor(oddsRatios: readonly number[] = ODDS_RATIOS) {
    this.logPsis = oddsRatios.map(Math.log);
    this.sums = oddsRatios.map(() => 0);
  }

  /** One span: the canary's trials and events, the baseline's trials and events. */
  add(canaryTrials: number, canaryEvents: number, baselineTrials: number, baselineEvents: number): void {
    const m = canaryEvents + baselineEvents;
    if (!(m > 0) || !(canaryTrials > 0) || !(baselineTrials > 0)) return;
    const lr = oddsRatioLogLR(canaryTrials, baselineTrials, m, canaryEvents, this.logPsis);
    for (let i = 0; i < lr.length; i++) this.sums[i]! += lr[i]!;
  }

  logE(): number {
    return logMeanExp(this.sums);
  }

  /** The running log-products, to store and restore the process between looks (plain numbers). */
  get state(): number[] {
    return [...this.sums];
  }

  static restore(oddsRatios: readonly number[], sums: readonly number[]): OddsRatioEProcess {
    const process = new OddsRatioEProcess(oddsRatios);
    if (sums.length !== oddsRatios.length)
      throw new Error("an e-process state for another grid of odds ratios");
    sums.forEach((sum, i) => {
      process.sums[i] = sum;
    });
    return process;
  }
}
