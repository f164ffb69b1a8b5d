import type { LatencyHistogram } from "../../routers/types.js";

/** Total count of a histogram (0 for an empty or missing one). */
export function histogramTotal(h: LatencyHistogram): number {
  return h.counts.reduce((sum, n) => sum + n, 0);
}

/**
 * How many samples were at most `x` ms, interpolating inside the bucket that holds `x`: linearly in the
 * first bucket (0, b0], log-linearly (latency spread evenly in log scale) in the others. The last,
 * unbounded bucket contributes only when x is +Infinity.
 */
export function countAtMost(h: LatencyHistogram, x: number): number {
  if (!(x > 0)) return 0;
  let below = 0;
  let lower = 0;
  for (let i = 0; i < h.boundsMs.length; i++) {
    const upper = h.boundsMs[i] as number;
    const n = h.counts[i] ?? 0;
    if (x >= upper) {
      below += n;
      lower = upper;
      continue;
    }
    const share = lower > 0 ? Math.log(x / lower) / Math.log(upper / lower) : x / upper;
    return below + n * Math.max(0, share);
  }
  return x === Number.POSITIVE_INFINITY ? histogramTotal(h) : below;
}

/**
 * The histogram of k·X + shift re-binned onto the same bounds (fractional counts), with the
 * interpolation of `countAtMost`. Used to apply a latency `maxIncrease` to the baseline.
 */
export function scaleHistogram(h: LatencyHistogram, factor: number, shiftMs: number): LatencyHistogram {
  const total = histogramTotal(h);
  const counts: number[] = [];
  let previous = 0;
  for (const bound of h.boundsMs) {
    const atMost = countAtMost(h, (bound - shiftMs) / factor);
    counts.push(atMost - previous);
    previous = atMost;
  }
  counts.push(total - previous);
  return { boundsMs: [...h.boundsMs], counts };
}

/** Same bucket bounds and one count per bucket (bounds plus the unbounded last one). */
export function sameBuckets(a: LatencyHistogram, b: LatencyHistogram): boolean {
  return (
    a.boundsMs.length === b.boundsMs.length &&
    a.boundsMs.every((bound, i) => bound === b.boundsMs[i]) &&
    a.counts.length === a.boundsMs.length + 1 &&
    b.counts.length === b.boundsMs.length + 1
  );
}
