import { linearScale, niceMax } from "./chart-scale";
import { formatTime } from "./format";
import type { WeekBucket } from "./types";

const W = 360;
const H = 150;
const PAD = { left: 40, right: 8, top: 10, bottom: 24 };

/** Weekly bars (deployments, failures stacked) or a weekly line (a rate or a duration). */
export function TrendChart({
  title,
  weeks,
  kind,
  value,
  format,
}: {
  title: string;
  weeks: WeekBucket[];
  kind: "deployments" | "line";
  value?: (w: WeekBucket) => number | null;
  format: (v: number) => string;
}) {
  const values = weeks.map((w) =>
    kind === "deployments" ? w.deployments + w.failures : (value?.(w) ?? null),
  );
  const max = niceMax(Math.max(0, ...values.filter((v): v is number => v !== null)));
  const y = linearScale([0, max], [H - PAD.bottom, PAD.top]);
  const slot = (W - PAD.left - PAD.right) / Math.max(1, weeks.length);
  const label = `${title}, per week: ${values.map((v) => (v === null ? "no data" : format(v))).join(", ")}`;
  const points = weeks
    .map((_, i) => ({ i, v: values[i] }))
    .filter((p): p is { i: number; v: number } => p.v !== null && p.v !== undefined)
    .map((p) => `${PAD.left + slot * p.i + slot / 2},${y(p.v)}`);
  return (
    <figure class="chart trend">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <title>{label}</title>
        <line class="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <text class="tick" x={PAD.left - 4} y={PAD.top + 4} text-anchor="end">
          {format(max)}
        </text>
        <text class="tick" x={PAD.left - 4} y={H - PAD.bottom} text-anchor="end">
          0
        </text>
        {kind === "deployments"
          ? weeks.map((w, i) => {
              const x = PAD.left + slot * i + slot * 0.2;
              const okTop = y(w.deployments);
              const badTop = y(w.deployments + w.failures);
              return (
                <g key={w.start}>
                  <rect class="ok" x={x} y={okTop} width={slot * 0.6} height={H - PAD.bottom - okTop} />
                  <rect class="bad" x={x} y={badTop} width={slot * 0.6} height={okTop - badTop} />
                  <title>{`week of ${formatTime(w.start).slice(0, 10)}: ${w.deployments} deployments, ${w.failures} failures`}</title>
                </g>
              );
            })
          : null}
        {kind === "line" && points.length > 1 ? <polyline class="line" points={points.join(" ")} /> : null}
        {kind === "line"
          ? points.map((p) => {
              const [cx, cy] = p.split(",");
              return <circle key={p} class="dot" cx={cx} cy={cy} r={3} />;
            })
          : null}
        {weeks.map((w, i) => (
          <text key={w.start} class="tick" x={PAD.left + slot * i + slot / 2} y={H - 8} text-anchor="middle">
            {formatTime(w.start).slice(5, 10)}
          </text>
        ))}
      </svg>
    </figure>
  );
}
