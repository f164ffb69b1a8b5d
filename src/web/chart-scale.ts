import type { AnalysisRun, MetricSpec } from "./types";

/** Scales and series for the small SVG charts: pure numbers, no DOM. */

export interface Scale {
  (value: number): number;
  domain: [number, number];
}

/** Maps [d0, d1] onto [r0, r1] linearly (a flat domain maps to the middle of the range). */
export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const scale = ((value: number) =>
    d1 === d0 ? (r0 + r1) / 2 : r0 + ((value - d0) / (d1 - d0)) * (r1 - r0)) as Scale;
  scale.domain = domain;
  return scale;
}

/** A round number at or above `max` (1, 2, 2.5, 5 times a power of ten), so axes read well. */
export function niceMax(max: number): number {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= max - 1e-12) return Number((step * power).toPrecision(12));
  }
  return 10 * power;
}

/** The numbers a condition compares with: `> 0.01` → [0.01], `0.1..0.5` → [0.1, 0.5]. */
export function conditionThresholds(condition: string | undefined): number[] {
  if (!condition) return [];
  const range = /^\s*(-?[\d.]+(?:e-?\d+)?)\s*\.\.\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(condition);
  if (range) return [Number(range[1]), Number(range[2])].filter(Number.isFinite);
  const compare = /^\s*(?:<=|>=|==|!=|<|>)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(condition);
  return compare && Number.isFinite(Number(compare[1])) ? [Number(compare[1])] : [];
}

export interface MetricSeries {
  metric: string;
  /** Which run: an analysis step's or the background analysis. */
  kind: "step" | "background";
  condition: string;
  thresholds: number[];
  points: { at: number; value: number; verdict: string }[];
  last?: { value?: number; verdict: string; reason: string };
}

/** One series per metric of each run, from the run's kept history (oldest first). */
export function metricSeries(runs: ReadonlyArray<AnalysisRun | undefined>): MetricSeries[] {
  const series: MetricSeries[] = [];
  for (const run of runs) {
    if (!run) continue;
    for (const metric of run.spec.metrics) {
      const records = run.history.filter((r) => r.metric === metric.name);
      const last = records.at(-1);
      series.push({
        metric: metric.name,
        kind: run.kind,
        condition: conditionText(metric),
        thresholds: [
          ...conditionThresholds(metric.successCondition),
          ...conditionThresholds(metric.failureCondition),
        ],
        points: records
          .filter((r) => typeof r.value === "number" && Number.isFinite(r.value))
          .map((r) => ({ at: r.at, value: r.value as number, verdict: r.verdict })),
        ...(last
          ? { last: { value: last.value ?? undefined, verdict: last.verdict, reason: last.reason } }
          : {}),
      });
    }
  }
  return series;
}

function conditionText(metric: MetricSpec): string {
  const parts: string[] = [];
  if (metric.successCondition) parts.push(`success ${metric.successCondition}`);
  if (metric.failureCondition) parts.push(`failure ${metric.failureCondition}`);
  return parts.join(", ") || "compared with the stable version";
}

export interface PlotBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Polyline points and threshold lines of a series inside a box; the y axis always shows the thresholds. */
export function plotSeries(
  series: Pick<MetricSeries, "points" | "thresholds">,
  box: PlotBox,
): {
  points: string;
  dots: { x: number; y: number }[];
  thresholds: { y: number; value: number }[];
  yMax: number;
} {
  const values = [...series.points.map((p) => p.value), ...series.thresholds];
  const yMax = niceMax(Math.max(0, ...values));
  const first = series.points[0]?.at ?? 0;
  const lastAt = series.points.at(-1)?.at ?? 1;
  const x = linearScale([first, lastAt === first ? first + 1 : lastAt], [box.left, box.width - box.right]);
  const y = linearScale([0, yMax], [box.height - box.bottom, box.top]);
  const round = (v: number) => Math.round(v * 10) / 10;
  const dots = series.points.map((p) => ({
    x: round(series.points.length === 1 ? (box.left + box.width - box.right) / 2 : x(p.at)),
    y: round(y(p.value)),
  }));
  return {
    points: dots.map((d) => `${d.x},${d.y}`).join(" "),
    dots,
    thresholds: series.thresholds.map((value) => ({ value, y: round(y(value)) })),
    yMax,
  };
}
