import type { Severity } from "../core/types.js";
import {
  describeStatus,
  eventText,
  formatTime,
  headline,
  severityOf,
  truncate,
  versionLine,
  whereOf,
} from "./describe.js";
import type { Notification } from "./types.js";

/** Events listed in one email before `…and N more`. */
export const EMAIL_MAX_EVENTS = 200;

const SUBJECT_CHARS = 200;
const COLOR: Record<Severity, string> = { info: "#1d6fd8", warning: "#b7791f", error: "#c53030" };

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
  /** `<id@tandem>`: the same on every attempt, so a retried message is recognisable. */
  messageId: string;
  headers: Record<string, string>;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** `<id@tandem>`, keeping only what a Message-ID may hold. */
export function messageIdFor(id: string): string {
  return `<${id.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, "_")}@tandem>`;
}

/** Subject, text and HTML bodies, Message-ID and X-Tandem-* headers for one notification. */
export function formatEmail(notification: Notification): EmailContent {
  const severity = severityOf(notification);
  const { environment, releaseId } = whereOf(notification);
  const release = notification.release;
  const title = headline(notification);
  const status = release ? describeStatus(release.status) : severity;
  const subject = truncate(`[Tandem] ${title}`.replace(/[\r\n]+/g, " "), SUBJECT_CHARS);

  const facts: Array<[string, string]> = [
    ["Environment", environment],
    ["Release", releaseId],
    ["Status", status],
  ];
  const versions = (release?.services ?? []).map(versionLine);
  const events = notification.events.slice(0, EMAIL_MAX_EVENTS);
  const more = notification.events.length - events.length;

  const text = [
    title,
    "",
    ...facts.map(([label, value]) => `${label}: ${value}`),
    ...(versions.length > 0 ? ["", "Versions:", ...versions.map((line) => `  ${line}`)] : []),
    "",
    "Events:",
    ...events.map((event) => `  ${formatTime(event.at)} ${eventText(event)}`),
    ...(more > 0 ? [`  …and ${more} more`] : []),
    ...(notification.url ? ["", `Open the release: ${notification.url}`] : []),
    "",
    `-- Tandem (notification ${notification.id})`,
    "",
  ].join("\n");

  const cell = "padding:2px 12px 2px 0;vertical-align:top";
  const html = [
    "<!doctype html>",
    '<html><body style="font-family:sans-serif;font-size:14px">',
    `<h2 style="color:${COLOR[severity]};margin:0 0 12px">${escapeHtml(title)}</h2>`,
    "<table>",
    ...facts.map(
      ([label, value]) =>
        `<tr><th style="${cell};text-align:left">${label}</th><td>${escapeHtml(value)}</td></tr>`,
    ),
    "</table>",
    ...(versions.length > 0
      ? ["<h3>Versions</h3>", "<ul>", ...versions.map((line) => `<li>${escapeHtml(line)}</li>`), "</ul>"]
      : []),
    "<h3>Events</h3>",
    "<ul>",
    ...events.map(
      (event) =>
        `<li style="color:${event.severity === "info" ? "inherit" : COLOR[event.severity]}">` +
        `<code>${formatTime(event.at)}</code> ${escapeHtml(eventText(event))}</li>`,
    ),
    ...(more > 0 ? [`<li>…and ${more} more</li>`] : []),
    "</ul>",
    ...(notification.url ? [`<p><a href="${escapeHtml(notification.url)}">Open the release</a></p>`] : []),
    `<p style="color:#888;font-size:12px">Tandem · notification ${escapeHtml(notification.id)}</p>`,
    "</body></html>",
  ].join("\n");

  return {
    subject,
    text,
    html,
    messageId: messageIdFor(notification.id),
    headers: {
      "X-Tandem-Release": releaseId,
      "X-Tandem-Notification": notification.id,
      "X-Tandem-Severity": severity,
    },
  };
}
