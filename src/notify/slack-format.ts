import type { Severity } from "../core/types.js";
import {
  boundedLines,
  describeStatus,
  eventLine,
  headline,
  severityOf,
  truncate,
  versionLine,
  whereOf,
} from "./describe.js";
import type { Notification } from "./types.js";

/** Slack's limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerChars: 150,
  sectionChars: 3000,
  fieldChars: 2000,
  fallbackChars: 4000,
  /** Event lines shown in a digest before `…and N more`. */
  digestEvents: 30,
} as const;

export const SLACK_EMOJI: Record<Severity, string> = {
  info: ":large_blue_circle:",
  warning: ":warning:",
  error: ":red_circle:",
};

type Text = { type: "plain_text" | "mrkdwn"; text: string; emoji?: boolean };
export type SlackBlock =
  | { type: "header"; text: Text }
  | { type: "section"; text?: Text; fields?: Text[] }
  | { type: "divider" }
  | { type: "context"; elements: Text[] }
  | {
      type: "actions";
      elements: Array<{ type: "button"; text: Text; url: string; action_id: string; style?: string }>;
    };

export interface SlackMessage {
  /** Shown in notifications and by clients that do not render blocks. */
  text: string;
  blocks: SlackBlock[];
}

/** Slack's mrkdwn gives `&`, `<` and `>` a meaning: escape them in anything that came from events. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A Block Kit message for an incoming webhook: header, facts, versions, events, link, context. */
export function formatSlack(notification: Notification): SlackMessage {
  const severity = severityOf(notification);
  const title = headline(notification);
  const { environment, releaseId } = whereOf(notification);
  const release = notification.release;
  const mrkdwn = (text: string): Text => ({ type: "mrkdwn", text });
  const field = (label: string, value: string) =>
    mrkdwn(truncate(`*${label}*\n${escapeMrkdwn(value)}`, SLACK_LIMITS.fieldChars));

  const blocks: SlackBlock[] = [
    {
      type: "header",
      text: {
        type: "plain_text",
        text: truncate(`${SLACK_EMOJI[severity]} ${title}`, SLACK_LIMITS.headerChars),
        emoji: true,
      },
    },
    {
      type: "section",
      fields: [
        field("Environment", environment),
        field("Release", releaseId),
        field("Status", release ? describeStatus(release.status) : severity),
      ],
    },
  ];

  if (release && release.services.length > 0) {
    const lines = release.services.map((service) => `• ${escapeMrkdwn(versionLine(service))}`);
    blocks.push({
      type: "section",
      text: mrkdwn(boundedLines(["*Versions*", ...lines], { maxChars: SLACK_LIMITS.sectionChars })),
    });
  }

  const events = notification.events.map((event) => escapeMrkdwn(eventLine(event)));
  if (notification.events.length > 1) {
    blocks.push({ type: "divider" });
    blocks.push({
      type: "section",
      text: mrkdwn(
        boundedLines([`*Events* (${events.length})`, ...events.map((line) => `• ${line}`)], {
          maxChars: SLACK_LIMITS.sectionChars,
          maxLines: SLACK_LIMITS.digestEvents + 1,
          maxLine: 300,
        }),
      ),
    });
  } else if (notification.events[0]) {
    blocks.push({
      type: "section",
      // Slack refuses an empty text.
      text: mrkdwn(
        truncate(escapeMrkdwn(notification.events[0].message || title), SLACK_LIMITS.sectionChars),
      ),
    });
  }

  if (notification.url) {
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Open release" },
          url: notification.url,
          action_id: "tandem-open-release",
          ...(severity === "error" ? { style: "danger" } : {}),
        },
      ],
    });
  }
  blocks.push({ type: "context", elements: [mrkdwn(escapeMrkdwn(`Tandem · ${notification.id}`))] });

  return { text: truncate(fallback(notification, title), SLACK_LIMITS.fallbackChars), blocks };
}

/** The plain text: headline, then the single event's message or the number of events. */
function fallback(notification: Notification, title: string): string {
  const first = notification.events[0];
  const detail =
    notification.events.length === 1 && first ? first.message : `${notification.events.length} events`;
  const link = notification.url ? ` <${notification.url}|open>` : "";
  return `${SLACK_EMOJI[severityOf(notification)]} ${escapeMrkdwn(title)}: ${escapeMrkdwn(detail)}${link}`;
}
