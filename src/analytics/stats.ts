import type { Spread } from "./types.js";

/**
 * The q-quantile of `values` by linear interpolation between closest ranks (Hyndman & Fan type 7,
 * what spreadsheets and NumPy compute): the median of [30, 120] is 75. null for no values.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export function median(values: readonly number[]): number | null {
  return quantile(values, 0.5);
}

export function spread(values: readonly number[]): Spread {
  return { count: values.length, median: median(values), p90: quantile(values, 0.9) };
}

/** numerator ÷ denominator, or null when the denominator is 0. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}
