import { bandText, changeText, day, metricRows, percent, perWeek, span, time } from "./format.js";
import type { DeliveryReport, EnvironmentReport } from "./types.js";

/** Escapes text for a Markdown table cell: no HTML, no emphasis, no links, no column breaks. */
export function md(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|#!])/g, "\\$1");
}

const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
const table = (head: string[], rows: string[][]) =>
  [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");

/** The report as Markdown: one section per environment with its services, trend and failures. */
export function renderMarkdown(report: DeliveryReport): string {
  const w = report.window;
  const filters = [
    report.filters.environment ? `environment ${md(report.filters.environment)}` : "",
    report.filters.service ? `service ${md(report.filters.service)}` : "",
  ].filter(Boolean);
  const lines = [
    `# Delivery report: ${md(report.project)}`,
    "",
    `${time(w.since)} to ${time(w.until)} (${w.days.toFixed(w.days % 1 ? 1 : 0)} days), compared with the ${w.days.toFixed(w.days % 1 ? 1 : 0)} days before.${filters.length ? ` Only ${filters.join(", ")}.` : ""}`,
  ];
  if (report.environments.length === 0) lines.push("", "No environment to report on.");
  for (const env of report.environments) lines.push("", environmentSection(env, w.days));
  return `${lines.join("\n")}\n`;
}

function environmentSection(env: EnvironmentReport, days: number): string {
  const m = env.metrics;
  const out = [`## ${md(env.environment)}: ${bandText(m.bands.overall)}`, ""];
  out.push(
    table(
      ["metric", "value", "DORA band", "vs previous period", "detail"],
      metricRows(m, days).map((r) => [
        r.name,
        r.value,
        r.band ?? "",
        r.change ? changeText(r.change, env.trend.changes[r.change]) : "",
        r.detail,
      ]),
    ),
  );
  out.push("", `### Services in ${md(env.environment)}`, "");
  out.push(
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
      env.services.map((s) => {
        const sm = s.metrics;
        return [
          md(s.service),
          String(sm.releases.total),
          perWeek(sm.deploymentFrequency.perWeek),
          span(sm.leadTime.median),
          percent(sm.changeFailureRate.rate),
          span(sm.timeToRestore.median),
          percent(sm.successRate),
          bandText(sm.bands.overall),
        ];
      }),
    ),
  );
  out.push("", "### Weekly trend", "");
  out.push(
    table(
      [
        "week",
        "deployments",
        "failures",
        "change failure rate",
        "lead time (median)",
        "time to restore (median)",
      ],
      env.trend.weeks.map((b) => [
        `${day(b.start)} to ${day(b.end)}`,
        String(b.deployments),
        String(b.failures),
        percent(b.changeFailureRate),
        span(b.leadTimeMedian),
        span(b.timeToRestoreMedian),
      ]),
    ),
  );
  if (env.failures.length > 0) {
    out.push("", "### Failures", "");
    out.push(
      table(
        ["release", "services", "outcome", "finished", "started by", "reason"],
        env.failures.map((f) => [
          md(f.releaseId),
          md(f.services.join(", ")),
          f.undone ? "undone by a rollback" : md(f.status.replace("_", " ")),
          time(f.at),
          md(f.createdBy),
          md(f.reason ?? ""),
        ]),
      ),
    );
  }
  if (m.timeToRestore.open.length > 0) {
    out.push("", "### Not restored yet", "");
    out.push(
      table(
        ["service", "failed release", "since", "open for"],
        m.timeToRestore.open.map((o) => [md(o.service), md(o.releaseId), time(o.since), span(o.openFor)]),
      ),
    );
  }
  return out.join("\n");
}
