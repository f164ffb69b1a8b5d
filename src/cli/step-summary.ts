import { appendFileSync } from "node:fs";
import { formatDuration } from "../core/duration.js";
import type { ReleaseState, RolloutState, Status } from "../core/types.js";

/**
 * What a CI job shows of a release: the GitHub Actions job summary (Markdown appended to
 * $GITHUB_STEP_SUMMARY) and workflow annotations (`::error::` …) when GITHUB_ACTIONS=true.
 */

const EMOJI: Record<Status, string> = {
  pending: "⏳",
  awaiting_approval: "✋",
  running: "🔄",
  paused: "⏸️",
  succeeded: "✅",
  failed: "❌",
  rolled_back: "↩️",
  aborted: "🛑",
};

export function statusEmoji(status: Status): string {
  return EMOJI[status] ?? "❔";
}

/**
 * Text made safe for Markdown (a table cell included): HTML is neutralised, Markdown punctuation
 * that could start emphasis, links or code, or end a table cell, is backslash-escaped, and line
 * breaks become `<br>` so one value never spans rows.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|~#!])/g, "\\$1")
    .replace(/\r\n|\r|\n/g, "<br>");
}

export interface SummaryOptions {
  now: number;
  /** TANDEM_DASHBOARD_URL: each release links to `<url>/releases/<id>`. */
  dashboardUrl?: string;
  /** Why the release was requested (TANDEM_REASON, set by the GitHub action's `reason` input). */
  requestReason?: string;
}

function rolloutDuration(rollout: RolloutState, now: number): string {
  if (rollout.startedAt === undefined) return "-";
  return formatDuration(Math.max(0, (rollout.finishedAt ?? now) - rollout.startedAt));
}

export function releaseLink(dashboardUrl: string, releaseId: string): string {
  return `${dashboardUrl.replace(/\/+$/, "")}/releases/${encodeURIComponent(releaseId)}`;
}

/** The Markdown of one release for a job summary. */
export function releaseMarkdown(release: ReleaseState, options: SummaryOptions): string {
  const e = escapeMarkdown;
  const status = `${statusEmoji(release.status)} ${e(release.status.replace(/_/g, " "))}`;
  const lines = [
    `### ${statusEmoji(release.status)} Tandem release ${e(release.id)}: ${e(release.status.replace(/_/g, " "))}`,
    "",
    `- **Release:** ${e(release.id)}`,
    `- **Environment:** ${e(release.environment)}`,
    `- **Status:** ${status}`,
    `- **By:** ${e(release.createdBy)}`,
  ];
  if (release.finishedAt !== undefined) {
    lines.push(`- **Duration:** ${formatDuration(Math.max(0, release.finishedAt - release.createdAt))}`);
  }
  if (release.promotedFrom) lines.push(`- **Promoted from:** ${e(release.promotedFrom)}`);
  if (options.requestReason) lines.push(`- **Requested because:** ${e(options.requestReason)}`);
  if (options.dashboardUrl && /^https?:\/\//i.test(options.dashboardUrl)) {
    const url = releaseLink(options.dashboardUrl, release.id).replace(
      /[()<>\s]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
    );
    lines.push(`- **Dashboard:** [open release ${e(release.id)}](${url})`);
  }
  lines.push(
    "",
    "| Service | Version | Status | Final weight | Duration |",
    "|---|---|---|---:|---:|",
    ...release.rollouts.map(
      (r) =>
        `| ${e(r.service)} | ${e(r.stableVersion ?? "(none)")} → ${e(r.version)} | ${statusEmoji(r.status)} ${e(r.status.replace(/_/g, " "))} | ${r.weight}% | ${rolloutDuration(r, options.now)} |`,
    ),
  );
  const reasons = failureReasons(release);
  if (reasons.length > 0) {
    lines.push("", "**Why:**", "", ...reasons.map((reason) => `- ${e(reason)}`));
  }
  return `${lines.join("\n")}\n`;
}

/** Why a release did not succeed: the release's reason, then each service's. */
export function failureReasons(release: ReleaseState): string[] {
  if (release.status === "succeeded") return [];
  const reasons: string[] = [];
  if (release.reason) reasons.push(release.reason);
  for (const rollout of release.rollouts) {
    if (rollout.reason && rollout.reason !== release.reason)
      reasons.push(`${rollout.service}: ${rollout.reason}`);
  }
  return reasons;
}

export function stepSummaryMarkdown(releases: ReleaseState[], options: SummaryOptions): string {
  if (releases.length === 0) return "### Tandem\n\nno unfinished release\n";
  return releases.map((r) => releaseMarkdown(r, options)).join("\n");
}

/** Escapes the message of a workflow command (GitHub: %, \r, \n). */
export function escapeAnnotationData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a property value of a workflow command (as the message, and also `:` and `,`). */
export function escapeAnnotationProperty(text: string): string {
  return escapeAnnotationData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/**
 * The workflow command for a release that ended: `::error` for failed and rolled back, `::warning`
 * for aborted, `::notice` otherwise (succeeded, or still waiting when not followed).
 */
export function annotationLine(release: ReleaseState): string {
  const level =
    release.status === "failed" || release.status === "rolled_back"
      ? "error"
      : release.status === "aborted"
        ? "warning"
        : "notice";
  const title = `Tandem release ${release.id} ${release.status.replace(/_/g, " ")}`;
  const versions = release.rollouts.map((r) => `${r.service}@${r.version}`).join(" ");
  const reasons = failureReasons(release);
  const message = `${versions} in ${release.environment}: ${release.status.replace(/_/g, " ")}${reasons.length ? `\n${reasons.join("\n")}` : ""}`;
  return `::${level} title=${escapeAnnotationProperty(title)}::${escapeAnnotationData(message)}`;
}

export interface CiReportOptions {
  now: number;
  /** Also print workflow annotations (commands that followed a release to its end). */
  annotate: boolean;
  /** Where annotations go: stdout, or stderr when stdout carries JSON. */
  out: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/**
 * At the end of `tandem deploy` / `promote` / `rollback` / `engine` / `status`: appends the job
 * summary when GITHUB_STEP_SUMMARY is set, and prints annotations when GITHUB_ACTIONS=true. A CI
 * report that cannot be written never changes the outcome of the command: it says so on stderr.
 */
export function reportToCi(releases: ReleaseState[], options: CiReportOptions): void {
  const env = options.env ?? process.env;
  const file = env.GITHUB_STEP_SUMMARY;
  if (file) {
    const markdown = stepSummaryMarkdown(releases, {
      now: options.now,
      dashboardUrl: env.TANDEM_DASHBOARD_URL || undefined,
      requestReason: env.TANDEM_REASON || undefined,
    });
    try {
      appendFileSync(file, `${markdown}\n`);
    } catch (error) {
      process.stderr.write(
        `could not append the job summary to ${file}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }
  if (options.annotate && env.GITHUB_ACTIONS === "true") {
    for (const release of releases) options.out.write(`${annotationLine(release)}\n`);
  }
}
