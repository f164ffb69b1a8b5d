import { logBeta } from "./special.js";

/**
 * Anytime-valid comparison of two Bernoulli rates (errors per request, or "slower than τ" per request)
 * by universal inference (Wasserman, Ramdas, Balakrishnan, PNAS 2020) over the Bayes mixture used by
 * Lindon, Sanden, Shirikian (KDD 2022) for counts:
 *
 *   E_t = [∫ L_t(p_c, p_b) dπ] / sup_{(p_c, p_b) ∈ H0} L_t(p_c, p_b)
 *
 * with π = Beta(½, ½) ⊗ Beta(½, ½). For every P in H0, E_t ≤ (mixture / L_t(P)), a nonnegative
 * martingale with mean 1 over the stream of requests, so P(∃t: E_t ≥ 1/α) ≤ α (Ville). The
 * likelihood of the whole interleaved stream depends only on the cumulative counts, so looks at any
 * times, with any traffic split that does not depend on the outcomes, keep the guarantee.
 */

/** `events` out of `trials` (fractional counts are allowed: interpolated histogram tails). */
export interface Counts {
  events: number;
  trials: number;
}

/** The null boundary p_c = factor · p_b + shift (factor >= 0, 0 <= shift < 1). */
export interface Boundary {
  factor: number;
  shift: number;
}

/**
 * `worse`: H0 is p_c <= boundary (evidence means the canary is worse than allowed).
 * `notWorse`: H0 is p_c >= boundary (evidence means the canary is within what is allowed).
 */
export type Direction = "worse" | "notWorse";

function logLik(c: Counts, p: number): number {
  const misses = c.trials - c.events;
  let sum = 0;
  if (c.events > 0) sum += c.events * Math.log(p);
  if (misses > 0) sum += misses * Math.log(1 - p);
  return sum;
}

/** ln of the Beta(½, ½) marginal likelihood of the sequence (the KT estimator). */
export function logMixture(c: Counts): number {
  return logBeta(c.events + 0.5, c.trials - c.events + 0.5) - logBeta(0.5, 0.5);
}

function clamp01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

/** Unconstrained MLE if it lies in H0 (choosing the free rate of a version without trials to suit H0). */
function feasibleMle(c: Counts, b: Counts, bound: Boundary, direction: Direction): number | undefined {
  const inNull = (pc: number, pb: number) => {
    const edge = bound.factor * pb + bound.shift;
    return direction === "worse" ? pc <= edge + 1e-12 : pc >= edge - 1e-12;
  };
  const pcs = c.trials > 0 ? [c.events / c.trials] : [0, 1];
  const pbs = b.trials > 0 ? [b.events / b.trials] : [0, 1];
  for (const pc of pcs) {
    for (const pb of pbs) if (inNull(pc, pb)) return logLik(c, pc) + logLik(b, pb);
  }
  return undefined;
}

/** max over p_b of the log likelihood on the boundary; concave in p_b, so a golden-section search. */
function maxOnBoundary(c: Counts, b: Counts, bound: Boundary): number {
  const f = (pb: number) => logLik(c, clamp01(bound.factor * pb + bound.shift)) + logLik(b, pb);
  let lo = 0;
  let hi = bound.factor > 0 ? Math.min(1, (1 - bound.shift) / bound.factor) : 1;
  if (!(hi >= 0)) return Number.NEGATIVE_INFINITY;
  const best = Math.max(f(lo), f(hi));
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let i = 0; i < 80; i++) {
    if (f1 < f2) {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = f(x2);
    } else {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = f(x1);
    }
  }
  return Math.max(best, f1, f2);
}

/** The parts of H0's border that lie on the edges of the unit square (where the boundary line leaves it). */
function maxOnEdges(c: Counts, b: Counts, bound: Boundary, direction: Direction): number {
  const hi = bound.factor > 0 ? Math.min(1, (1 - bound.shift) / bound.factor) : 1;
  const pb = b.trials > 0 ? b.events / b.trials : 0;
  const pc = c.trials > 0 ? c.events / c.trials : 1;
  if (direction === "worse") return logLik(c, 1) + logLik(b, Math.max(pb, hi));
  return Math.max(
    logLik(c, 1) + logLik(b, Math.min(pb, hi)),
    logLik(c, Math.max(pc, bound.shift)) + logLik(b, 0),
  );
}

/** ln E_t for H0 given by `direction` and `bound` (≤ 0 when the data sit inside H0). */
export function logEValue(canary: Counts, baseline: Counts, bound: Boundary, direction: Direction): number {
  const numerator = logMixture(canary) + logMixture(baseline);
  const inside = feasibleMle(canary, baseline, bound, direction);
  const denominator =
    inside ??
    Math.max(maxOnBoundary(canary, baseline, bound), maxOnEdges(canary, baseline, bound, direction));
  return numerator - denominator;
}
