/**
 * A small seeded random source for simulations and tests (mulberry32: 32-bit state, passes
 * SmallCrush; plenty for Monte Carlo checks of a few thousand sequences, not for cryptography).
 */
export type Random = () => number;

export function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson(mean) by inversion, in chunks of at most 500 so exp(−mean) never underflows. */
export function poisson(random: Random, mean: number): number {
  let total = 0;
  let left = mean;
  while (left > 0) {
    const lambda = Math.min(left, 500);
    left -= lambda;
    let k = 0;
    let p = Math.exp(-lambda);
    let cdf = p;
    const u = random();
    while (u > cdf && p > 0) {
      k++;
      p *= lambda / k;
      cdf += p;
    }
    total += k;
  }
  return total;
}

/** Binomial(n, p) by inversion of the CDF; fine while n·p is at most a few hundred. */
export function binomial(random: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const odds = p / (1 - p);
  let pmf = (1 - p) ** n;
  if (pmf === 0) return Math.round(n * p); // outside the range this is meant for
  let cdf = pmf;
  let k = 0;
  const u = random();
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * odds;
    k++;
    cdf += pmf;
  }
  return k;
}
