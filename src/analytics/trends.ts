import { computeMetrics, headline, type Scope, type Window } from "./metrics.js";
import type { Change, Direction, Headline, Trend, WeekBucket } from "./types.js";

export const WEEK_MS = 7 * 86_400_000;
const WEEK = WEEK_MS;

/** Higher is better for these; lower is better for the others. */
const HIGHER_IS_BETTER: Record<keyof Headline, boolean> = {
  deploymentsPerWeek: true,
  leadTimeMedian: false,
  changeFailureRate: false,
  timeToRestoreMedian: false,
  successRate: true,
};

/** Moves smaller than this fraction of the previous value (or both zero) are flat. */
const FLAT = 0.05;

export function direction(current: number, previous: number): Direction {
  const scale = Math.max(Math.abs(current), Math.abs(previous));
  if (scale === 0 || Math.abs(current - previous) <= FLAT * scale) return "flat";
  return current > previous ? "up" : "down";
}

export function compare(metric: keyof Headline, current: number | null, previous: number | null): Change {
  if (current === null || previous === null) {
    return { current, previous, direction: null, better: null };
  }
  const moved = direction(current, previous);
  const better = moved === "flat" ? null : (moved === "up") === HIGHER_IS_BETTER[metric];
  return { current, previous, direction: moved, better };
}

/** Weeks from `since` (the last one ends at `until` and may be shorter). */
export function weeks(w: Window): Window[] {
  const out: Window[] = [];
  for (let start = w.since; start < w.until; start += WEEK) {
    out.push({ since: start, until: Math.min(start + WEEK, w.until) });
  }
  return out;
}

export function computeTrend(scope: Scope, w: Window): Trend {
  const buckets = weeks(w).map((week): WeekBucket => {
    const m = computeMetrics(scope, week);
    return {
      start: week.since,
      end: week.until,
      deployments: m.deploymentFrequency.deployments,
      failures: m.changeFailureRate.failures,
      changeFailureRate: m.changeFailureRate.rate,
      leadTimeMedian: m.leadTime.median,
      timeToRestoreMedian: m.timeToRestore.median,
    };
  });
  const previous = { since: w.since - (w.until - w.since), until: w.since };
  const now = headline(computeMetrics(scope, w));
  const before = headline(computeMetrics(scope, previous));
  const changes = Object.fromEntries(
    (Object.keys(HIGHER_IS_BETTER) as Array<keyof Headline>).map((k) => [k, compare(k, now[k], before[k])]),
  ) as Record<keyof Headline, Change>;
  return { weeks: buckets, previous, changes };
}
