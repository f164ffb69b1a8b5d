import type { Band, Change, Headline, Metrics, Spread } from "./types.js";

/** Text shared by the Markdown and HTML reports (not escaped: each renderer escapes for its format). */

const UNITS: Array<[string, number]> = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
];

/** 75 minutes → "1h 15m": the two largest units, "-" for null. */
export function span(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const rounded = Math.round(ms / 1000) * 1000;
  const first = UNITS.findIndex(([, size]) => rounded >= size);
  const [unit, size] = UNITS[first]!;
  const text = `${Math.floor(rounded / size)}${unit}`;
  const next = UNITS[first + 1];
  if (!next) return text;
  const rest = Math.floor((rounded % size) / next[1]);
  return rest === 0 ? text : `${text} ${rest}${next[0]}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function percent(rate: number | null): string {
  if (rate === null) return "-";
  const value = rate * 100;
  return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}

export function perWeek(n: number): string {
  return `${n >= 10 ? n.toFixed(0) : n.toFixed(1)}/week`;
}

/** "2026-03-15 14:05Z". */
export function time(at: number): string {
  return new Date(at)
    .toISOString()
    .replace("T", " ")
    .replace(/:\d\d\.\d+Z$/, "Z");
}

export function day(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export const bandText = (band: Band | null) => band ?? "-";

export function spreadText(s: Spread): string {
  return s.count === 0 ? "-" : `median ${span(s.median)}, p90 ${span(s.p90)}`;
}

/** The rows of the headline table: metric, value, detail, band, comparison key. */
export interface MetricRow {
  name: string;
  value: string;
  detail: string;
  band: Band | null;
  change?: keyof Headline;
}

export function metricRows(m: Metrics, days: number): MetricRow[] {
  const f = m.deploymentFrequency;
  const lead = m.leadTime;
  const cfr = m.changeFailureRate;
  const ttr = m.timeToRestore;
  const r = m.releases;
  const daysText = `${Number.isInteger(days) ? days : days.toFixed(1)} days`;
  return [
    {
      name: "Deployment frequency",
      value: perWeek(f.perWeek),
      detail: `${f.deployments} successful in ${daysText} (${f.perDay.toFixed(2)}/day)`,
      band: m.bands.deploymentFrequency,
      change: "deploymentsPerWeek",
    },
    {
      name: "Lead time for changes",
      value: lead.count === 0 ? "-" : span(lead.median),
      detail: `${lead.count === 0 ? "no change with a publish time" : `p90 ${span(lead.p90)}, ${plural(lead.count, "change")}`}; ${lead.withoutPublishTime} without publish time`,
      band: m.bands.leadTime,
      change: "leadTimeMedian",
    },
    {
      name: "Change failure rate",
      value: percent(cfr.rate),
      detail: `${cfr.failures} of ${plural(cfr.deployments, "change")}`,
      band: m.bands.changeFailureRate,
      change: "changeFailureRate",
    },
    {
      name: "Time to restore",
      value: ttr.count === 0 ? "-" : span(ttr.median),
      detail: `${ttr.count === 0 ? "nothing restored" : `p90 ${span(ttr.p90)}, ${ttr.count} restored`}; ${ttr.open.length} open`,
      band: m.bands.timeToRestore,
      change: "timeToRestoreMedian",
    },
    {
      name: "Success rate",
      value: percent(m.successRate),
      detail: `${r.succeeded} succeeded, ${r.failed} failed, ${r.rolledBack} rolled back, ${r.aborted} aborted; ${r.rollbacks} rollbacks, ${r.inProgress} in progress`,
      band: null,
      change: "successRate",
    },
    {
      name: "Release duration",
      value: m.durations.release.count === 0 ? "-" : span(m.durations.release.median),
      detail: `${spreadText(m.durations.release)} (${m.durations.release.count})`,
      band: null,
    },
    {
      name: "Rollout duration",
      value: m.durations.rollout.count === 0 ? "-" : span(m.durations.rollout.median),
      detail: `${spreadText(m.durations.rollout)} (${m.durations.rollout.count})`,
      band: null,
    },
  ];
}

const ARROW = { up: "↑", down: "↓", flat: "→" } as const;

/** "↑ from 1.0/week (better)". */
export function changeText(metric: keyof Headline, change: Change): string {
  if (change.direction === null) return "-";
  const value = (v: number | null) =>
    metric === "deploymentsPerWeek"
      ? perWeek(v ?? 0)
      : metric === "changeFailureRate" || metric === "successRate"
        ? percent(v)
        : span(v);
  const verdict = change.better === null ? "" : change.better ? " (better)" : " (worse)";
  return `${ARROW[change.direction]} from ${value(change.previous)}${verdict}`;
}
