import { deploymentsChart, esc, lineChart } from "./charts.js";
import { bandText, changeText, day, metricRows, percent, perWeek, span, time } from "./format.js";
import type { Band, DeliveryReport, EnvironmentReport } from "./types.js";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.band{display:inline-block;padding:0 .5rem;border-radius:1rem;font-weight:600;font-size:.85rem}
.band-elite{background:#dafbe1;color:#116329}.band-high{background:#ddf4ff;color:#0550ae}
.band-medium{background:#fff8c5;color:#7d4e00}.band-low{background:#ffebe9;color:#a40e26}.band-none{background:#eee;color:#555}
.better{color:#116329}.worse{color:#a40e26}.muted{color:#59636e}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts figure{margin:0;flex:1 1 320px}
.chart{width:100%;height:auto;background:#fff;border:1px solid #d0d7de;border-radius:6px}
.chart .axis{stroke:#8c959f}.chart .tick{font-size:10px;fill:#59636e}.chart .empty{fill:#8c959f;font-size:12px}
.chart .ok{fill:#2da44e}.chart .bad{fill:#cf222e}.chart .line{fill:none;stroke:#0969da;stroke-width:2}.chart .dot{fill:#0969da}
figcaption{font-size:.85rem;color:#59636e}
`;

const band = (b: Band | null) => `<span class="band band-${b ?? "none"}">${esc(bandText(b))}</span>`;
const cells = (values: string[], tag = "td") =>
  `<tr>${values.map((v) => `<${tag}>${v}</${tag}>`).join("")}</tr>`;
const table = (head: string[], rows: string[][]) =>
  `<table><thead>${cells(head.map(esc), "th")}</thead><tbody>${rows.map((r) => cells(r)).join("")}</tbody></table>`;

/** The report as one self-contained HTML page: inline CSS and SVG, no script, everything escaped. */
export function renderHtml(report: DeliveryReport): string {
  const w = report.window;
  const filters = [
    report.filters.environment ? `environment ${report.filters.environment}` : "",
    report.filters.service ? `service ${report.filters.service}` : "",
  ].filter(Boolean);
  const body = [
    `<h1>Delivery report: ${esc(report.project)}</h1>`,
    `<p class="muted">${esc(time(w.since))} to ${esc(time(w.until))} (${esc(w.days.toFixed(w.days % 1 ? 1 : 0))} days), compared with the period of the same length before it.${filters.length ? ` Only ${esc(filters.join(", "))}.` : ""} Generated ${esc(time(report.generatedAt))}.</p>`,
    ...(report.environments.length === 0 ? ["<p>No environment to report on.</p>"] : []),
    ...report.environments.map((env) => environmentSection(env, w.days)),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Delivery report: ${esc(report.project)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join("\n")}
</body>
</html>
`;
}

function environmentSection(env: EnvironmentReport, days: number): string {
  const m = env.metrics;
  const name = esc(env.environment);
  const changeCell = (key: Parameters<typeof changeText>[0]) => {
    const c = env.trend.changes[key];
    const cls = c.better === null ? "muted" : c.better ? "better" : "worse";
    return `<span class="${cls}">${esc(changeText(key, c))}</span>`;
  };
  const parts = [
    `<section id="env-${name}">`,
    `<h2>${name} ${band(m.bands.overall)}</h2>`,
    table(
      ["metric", "value", "DORA band", "vs previous period", "detail"],
      metricRows(m, days).map((r) => [
        esc(r.name),
        esc(r.value),
        r.band === null ? "" : band(r.band),
        r.change ? changeCell(r.change) : "",
        esc(r.detail),
      ]),
    ),
    `<div class="charts">`,
    figure(
      deploymentsChart(`${env.environment}: deployments per week (failures in red)`, env.trend.weeks),
      "Deployments per week; failures stacked in red",
    ),
    figure(
      lineChart(
        `${env.environment}: lead time per week (median)`,
        env.trend.weeks,
        (b) => b.leadTimeMedian,
        span,
      ),
      "Lead time for changes per week (median)",
    ),
    figure(
      lineChart(
        `${env.environment}: change failure rate per week`,
        env.trend.weeks,
        (b) => b.changeFailureRate,
        percent,
      ),
      "Change failure rate per week",
    ),
    `</div>`,
    `<h3>Services in ${name}</h3>`,
    table(
      [
        "service",
        "releases",
        "deployments",
        "lead time (median)",
        "change failure rate",
        "time to restore (median)",
        "success rate",
        "band",
      ],
      env.services.map((s) => [
        esc(s.service),
        String(s.metrics.releases.total),
        esc(perWeek(s.metrics.deploymentFrequency.perWeek)),
        esc(span(s.metrics.leadTime.median)),
        esc(percent(s.metrics.changeFailureRate.rate)),
        esc(span(s.metrics.timeToRestore.median)),
        esc(percent(s.metrics.successRate)),
        band(s.metrics.bands.overall),
      ]),
    ),
    `<h3>Weekly trend</h3>`,
    table(
      [
        "week",
        "deployments",
        "failures",
        "change failure rate",
        "lead time (median)",
        "time to restore (median)",
      ],
      env.trend.weeks.map((b) =>
        [
          `${day(b.start)} to ${day(b.end)}`,
          String(b.deployments),
          String(b.failures),
          percent(b.changeFailureRate),
          span(b.leadTimeMedian),
          span(b.timeToRestoreMedian),
        ].map(esc),
      ),
    ),
  ];
  if (env.failures.length > 0) {
    parts.push(
      `<h3>Failures</h3>`,
      table(
        ["release", "services", "outcome", "finished", "started by", "reason"],
        env.failures.map((f) =>
          [
            f.releaseId,
            f.services.join(", "),
            f.undone ? "undone by a rollback" : f.status.replace("_", " "),
            time(f.at),
            f.createdBy,
            f.reason ?? "",
          ].map(esc),
        ),
      ),
    );
  }
  if (m.timeToRestore.open.length > 0) {
    parts.push(
      `<h3>Not restored yet</h3>`,
      table(
        ["service", "failed release", "since", "open for"],
        m.timeToRestore.open.map((o) => [o.service, o.releaseId, time(o.since), span(o.openFor)].map(esc)),
      ),
    );
  }
  parts.push("</section>");
  return parts.join("\n");
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}
