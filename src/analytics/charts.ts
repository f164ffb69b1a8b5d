import { day } from "./format.js";
import type { WeekBucket } from "./types.js";

/** Inline SVG charts for the HTML report: no script, no external asset; every text is escaped. */

export function esc(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const WIDTH = 520;
const HEIGHT = 180;
const PAD = { left: 44, right: 12, top: 16, bottom: 30 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

const n = (v: number) => Number(v.toFixed(1));

function frame(label: string, body: string[], maxText: string): string {
  return [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(label)}">`,
    `<title>${esc(label)}</title>`,
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top + PLOT_H}" x2="${WIDTH - PAD.right}" y2="${PAD.top + PLOT_H}"/>`,
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + PLOT_H}"/>`,
    `<text class="tick" x="${PAD.left - 4}" y="${PAD.top + 4}" text-anchor="end">${esc(maxText)}</text>`,
    `<text class="tick" x="${PAD.left - 4}" y="${PAD.top + PLOT_H}" text-anchor="end">0</text>`,
    ...body,
    "</svg>",
  ].join("\n");
}

function weekLabel(weeks: WeekBucket[], i: number, x: number): string {
  return `<text class="tick" x="${n(x)}" y="${HEIGHT - 10}" text-anchor="middle">${esc(day(weeks[i]!.start).slice(5))}</text>`;
}

/** Deployments per week (successful) with the failures stacked on top. */
export function deploymentsChart(label: string, weeks: WeekBucket[]): string {
  const max = Math.max(1, ...weeks.map((w) => w.deployments + w.failures));
  const slot = PLOT_W / Math.max(1, weeks.length);
  const barW = Math.max(4, slot * 0.6);
  const body: string[] = [];
  weeks.forEach((w, i) => {
    const x = PAD.left + slot * i + (slot - barW) / 2;
    const okH = (w.deployments / max) * PLOT_H;
    const badH = (w.failures / max) * PLOT_H;
    const base = PAD.top + PLOT_H;
    const tip = `${day(w.start)}: ${w.deployments} deployments, ${w.failures} failures`;
    body.push(
      `<rect class="ok" x="${n(x)}" y="${n(base - okH)}" width="${n(barW)}" height="${n(okH)}"><title>${esc(tip)}</title></rect>`,
      `<rect class="bad" x="${n(x)}" y="${n(base - okH - badH)}" width="${n(barW)}" height="${n(badH)}"><title>${esc(tip)}</title></rect>`,
      weekLabel(weeks, i, x + barW / 2),
    );
  });
  return frame(label, body, String(max));
}

/** One value per week as a line; weeks without a value leave a gap. */
export function lineChart(
  label: string,
  weeks: WeekBucket[],
  value: (w: WeekBucket) => number | null,
  format: (v: number) => string,
): string {
  const values = weeks.map(value);
  const known = values.filter((v): v is number => v !== null);
  const max = Math.max(...known, 0) || 1;
  const slot = PLOT_W / Math.max(1, weeks.length);
  const point = (i: number, v: number) => ({
    x: PAD.left + slot * i + slot / 2,
    y: PAD.top + PLOT_H - (v / max) * PLOT_H,
  });
  const body: string[] = [];
  let segment: string[] = [];
  const flush = () => {
    if (segment.length > 1) body.push(`<polyline class="line" points="${segment.join(" ")}"/>`);
    segment = [];
  };
  values.forEach((v, i) => {
    if (v === null) {
      flush();
      return;
    }
    const p = point(i, v);
    segment.push(`${n(p.x)},${n(p.y)}`);
    body.push(
      `<circle class="dot" cx="${n(p.x)}" cy="${n(p.y)}" r="3"><title>${esc(`${day(weeks[i]!.start)}: ${format(v)}`)}</title></circle>`,
    );
  });
  flush();
  for (let i = 0; i < weeks.length; i++) body.push(weekLabel(weeks, i, PAD.left + slot * i + slot / 2));
  if (known.length === 0) {
    body.push(`<text class="empty" x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no data</text>`);
  }
  return frame(label, body, known.length === 0 ? "" : format(max));
}
