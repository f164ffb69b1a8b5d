import { logGamma } from "./special.js";

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * One-sided Fisher exact test: P(X ≥ x) for X hypergeometric — x of the m events among the canary's
 * nc trials, m − x among the baseline's nb — under "equal rates". It is also the exact permutation
 * p-value of the Mann-Whitney U statistic on 0/1 outcomes (U is a linear function of x given m), so it
 * is Kayenta's test without the normal approximation. Counts are rounded to integers.
 */
export function fisherExactSf(nc: number, xc: number, nb: number, xb: number): number {
  nc = Math.round(nc);
  nb = Math.round(nb);
  xc = Math.round(xc);
  xb = Math.round(xb);
  const m = xc + xb;
  if (nc <= 0 || nb <= 0 || m === 0) return 1;
  const hi = Math.min(m, nc);
  const logTotal = logChoose(nc + nb, m);
  let p = 0;
  for (let y = Math.max(xc, m - nb); y <= hi; y++) {
    p += Math.exp(logChoose(nc, y) + logChoose(nb, m - y) - logTotal);
  }
  return Math.min(1, p);
}
