import type { Severity, TandemEvent } from "../core/types.js";
import type { Notification, ReleaseSummary } from "./types.js";

/** Words shared by every channel's formatter: what a notification is about, in one line and in facts. */

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** The most severe of the notification's events. */
export function severityOf(notification: Notification): Severity {
  let worst: Severity = "info";
  for (const event of notification.events) {
    if (SEVERITY_RANK[event.severity] > SEVERITY_RANK[worst]) worst = event.severity;
  }
  return worst;
}

/** Where the notification's events happened: the release when known, else the first event. */
export function whereOf(notification: Notification): {
  project: string;
  environment: string;
  releaseId: string;
} {
  const release = notification.release;
  if (release) return { project: release.project, environment: release.environment, releaseId: release.id };
  const first = notification.events[0];
  return {
    project: first?.project ?? "tandem",
    environment: first?.environment ?? "-",
    releaseId: first?.releaseId ?? "-",
  };
}

/** `release.rolled_back` -> `release rolled back`. */
export function describeType(type: string): string {
  return type.replace(/[._]/g, " ");
}

/**
 * One line saying what happened and where: `shop → production: release failed`, `shop → production:
 * api rollout failed`, or for a digest `shop → production: release running (12 events)`.
 */
export function headline(notification: Notification): string {
  const { project, environment } = whereOf(notification);
  const where = `${project} → ${environment}`;
  const events = notification.events;
  if (events.length === 1 && events[0]) {
    const event = events[0];
    const what = describeType(event.type);
    return event.service ? `${where}: ${event.service} ${what}` : `${where}: ${what}`;
  }
  const status = notification.release?.status;
  const count = `${events.length} events`;
  return status ? `${where}: release ${describeStatus(status)} (${count})` : `${where}: ${count}`;
}

export function describeStatus(status: string): string {
  return status.replace(/_/g, " ");
}

/** `api: 2.3.0 → 2.4.0 · failed · 25%` (no arrow for a first version). */
export function versionLine(service: ReleaseSummary["services"][number]): string {
  const versions = service.stableVersion ? `${service.stableVersion} → ${service.version}` : service.version;
  return `${service.service}: ${versions} · ${describeStatus(service.status)} · ${service.weight}%`;
}

/** `2026-12-01T05:20:12Z` */
export function formatTime(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `api: rollout failed — probe /health failed 3 times` */
export function eventText(event: TandemEvent): string {
  const who = event.service ? `${event.service}: ` : "";
  return `${who}${describeType(event.type)} — ${event.message}`;
}

/** `05:20:12 api: rollout failed — probe /health failed 3 times` (UTC) */
export function eventLine(event: TandemEvent): string {
  return `${formatTime(event.at).slice(11, 19)} ${eventText(event)}`;
}

/** Cuts `text` to at most `max` characters, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * Joins lines into at most `maxChars` characters (each line cut to `maxLine`), and at most `maxLines`
 * lines; what does not fit is summed up in a last line `…and N more`.
 */
export function boundedLines(
  lines: readonly string[],
  limits: { maxChars: number; maxLines?: number; maxLine?: number; separator?: string },
): string {
  const separator = limits.separator ?? "\n";
  const maxLines = limits.maxLines ?? Number.POSITIVE_INFINITY;
  const maxLine = limits.maxLine ?? limits.maxChars;
  // Room kept for the closing line (`…and 99999 more`).
  const reserve = 24;
  const kept: string[] = [];
  let length = 0;
  for (const [index, raw] of lines.entries()) {
    const line = truncate(raw, maxLine);
    const added = (kept.length === 0 ? 0 : separator.length) + line.length;
    const last = index === lines.length - 1;
    const room = last ? limits.maxChars : limits.maxChars - reserve;
    if (kept.length >= maxLines || length + added > room) {
      const rest = lines.length - index;
      kept.push(`…and ${rest} more`);
      return truncate(kept.join(separator), limits.maxChars);
    }
    kept.push(line);
    length += added;
  }
  return kept.join(separator);
}
