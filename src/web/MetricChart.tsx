import { type MetricSeries, plotSeries } from "./chart-scale";
import { formatValue } from "./format";

const BOX = { width: 320, height: 140, left: 44, right: 10, top: 12, bottom: 22 };

/** One metric's measured values as a line, against its threshold(s) as dashed lines. */
export function MetricChart({ service, series }: { service: string; series: MetricSeries }) {
  const plot = plotSeries(series, BOX);
  const label = `${service}: ${series.metric} (${series.kind} analysis), ${series.points.length} measurements; ${series.condition}`;
  const base = BOX.height - BOX.bottom;
  return (
    <figure class="chart" data-metric={series.metric}>
      <figcaption>
        <strong>
          {service} · {series.metric}
        </strong>{" "}
        <span class="muted">
          {series.kind === "background" ? "background" : "step"} · {series.condition}
        </span>
        {series.last ? (
          <div class={`verdict verdict-${series.last.verdict}`}>
            last: {formatValue(series.last.value)} {series.last.verdict}
          </div>
        ) : null}
      </figcaption>
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} role="img" aria-label={label}>
        <title>{label}</title>
        <line class="axis" x1={BOX.left} y1={base} x2={BOX.width - BOX.right} y2={base} />
        <line class="axis" x1={BOX.left} y1={BOX.top} x2={BOX.left} y2={base} />
        <text class="tick" x={BOX.left - 4} y={BOX.top + 4} text-anchor="end">
          {formatValue(plot.yMax)}
        </text>
        <text class="tick" x={BOX.left - 4} y={base} text-anchor="end">
          0
        </text>
        {plot.thresholds.map((t) => (
          <g key={t.value} class="threshold">
            <line x1={BOX.left} y1={t.y} x2={BOX.width - BOX.right} y2={t.y} />
            <text x={BOX.width - BOX.right} y={t.y - 3} text-anchor="end">
              {formatValue(t.value)}
            </text>
          </g>
        ))}
        {plot.dots.length > 1 ? <polyline class="line" points={plot.points} /> : null}
        {plot.dots.map((d, i) => (
          <circle
            key={series.points[i]!.at}
            class={`dot verdict-${series.points[i]!.verdict}`}
            cx={d.x}
            cy={d.y}
            r={3}
          >
            <title>{`${formatValue(series.points[i]!.value)} ${series.points[i]!.verdict}`}</title>
          </circle>
        ))}
        {plot.dots.length === 0 ? (
          <text class="empty" x={BOX.width / 2} y={BOX.height / 2} text-anchor="middle">
            no values yet
          </text>
        ) : null}
      </svg>
    </figure>
  );
}
