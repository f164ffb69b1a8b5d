import type { Boundary } from "../stats/proportions.js";

/**
 * A comparison of the new version (canary) with the stable one (baseline).
 * `maxIncrease`: how much worse the canary may be and still count as not worse. For `error_rate`,
 * `relative: 0.2` (config `20%`) allows canary ≤ 1.2 × baseline and `absolute: 0.01` (config `1%`)
 * allows canary ≤ baseline + 0.01; given both, the canary may use the larger allowance. For
 * `latency`, `relative` scales the baseline's latencies and `absolute` adds milliseconds to them.
 * Neither: no allowance (then "not worse" can only be shown for a strictly better canary).
 */
export interface CompareSpec {
  metric: "error_rate" | "latency";
  maxIncrease: { relative?: number; absolute?: number };
  /** The bound on false verdicts, in each direction. Default 0.02 (confidence 0.98, as Kayenta). */
  alpha?: number;
  /**
   * Latency only. The sequential judge ignores tails thinner than 1 − quantile when it declares the
   * canary not worse, and reports this quantile of both versions. Default 0.99 (the fixed-window
   * judge, a test of the whole distribution, reports the median unless a quantile is given).
   */
  quantile?: number;
}

export const DEFAULT_ALPHA = 0.02;
export const DEFAULT_QUANTILE = 0.99;

/** The allowances of `maxIncrease` as boundaries p_c = factor · p_b + shift (one per allowance given). */
export function allowances(maxIncrease: CompareSpec["maxIncrease"]): Boundary[] {
  const out: Boundary[] = [];
  if (maxIncrease.relative !== undefined) out.push({ factor: 1 + maxIncrease.relative, shift: 0 });
  if (maxIncrease.absolute !== undefined) out.push({ factor: 1, shift: maxIncrease.absolute });
  return out.length > 0 ? out : [{ factor: 1, shift: 0 }];
}

/** A spec's numbers out of range, as a message; undefined when it is usable. */
export function invalidSpec(spec: CompareSpec): string | undefined {
  const alpha = spec.alpha ?? DEFAULT_ALPHA;
  if (!(alpha > 0 && alpha < 1)) return `alpha must be between 0 and 1, got ${alpha}`;
  const { relative, absolute } = spec.maxIncrease;
  if (relative !== undefined && !(relative >= 0 && Number.isFinite(relative)))
    return `maxIncrease relative must be >= 0, got ${relative}`;
  if (
    absolute !== undefined &&
    !(absolute >= 0 && (spec.metric === "latency" ? Number.isFinite(absolute) : absolute < 1))
  )
    return `maxIncrease absolute must be >= 0${spec.metric === "latency" ? "" : " and < 1"}, got ${absolute}`;
  const q = spec.quantile ?? DEFAULT_QUANTILE;
  if (!(q > 0 && q < 1)) return `quantile must be between 0 and 1, got ${q}`;
  return undefined;
}

export function percent(x: number, digits = 2): string {
  return `${(x * 100).toFixed(digits)}%`;
}
