import type { Severity } from "../core/types.js";
import {
  describeStatus,
  eventLine,
  headline,
  severityOf,
  truncate,
  versionLine,
  whereOf,
} from "./describe.js";
import type { Notification } from "./types.js";

/** Teams takes messages up to about 28 KB: events past these bounds are summed up. */
export const TEAMS_LIMITS = {
  /** Event TextBlocks in a digest before `…and N more`. */
  events: 25,
  eventChars: 500,
  factChars: 500,
} as const;

const COLOR: Record<Severity, "Accent" | "Warning" | "Attention"> = {
  info: "Accent",
  warning: "Warning",
  error: "Attention",
};

type CardElement =
  | {
      type: "TextBlock";
      text: string;
      wrap: true;
      size?: "Small" | "Medium" | "Large";
      weight?: "Bolder";
      color?: string;
      isSubtle?: boolean;
      spacing?: "None" | "Small" | "Medium";
      style?: "heading";
    }
  | { type: "FactSet"; facts: Array<{ title: string; value: string }> };

export interface AdaptiveCard {
  $schema: string;
  type: "AdaptiveCard";
  version: "1.5";
  msteams: { width: "Full" };
  body: CardElement[];
  actions: Array<{ type: "Action.OpenUrl"; title: string; url: string }>;
}

/** The envelope both Teams incoming webhooks and Workflows accept. */
export interface TeamsMessage {
  type: "message";
  attachments: Array<{
    contentType: "application/vnd.microsoft.card.adaptive";
    contentUrl: null;
    content: AdaptiveCard;
  }>;
}

/** An Adaptive Card 1.5: a heading, a FactSet (environment, release, status, versions), events, a link. */
export function formatTeams(notification: Notification): TeamsMessage {
  const severity = severityOf(notification);
  const { environment, releaseId } = whereOf(notification);
  const release = notification.release;
  const fact = (title: string, value: string) => ({ title, value: truncate(value, TEAMS_LIMITS.factChars) });

  const facts = [
    fact("Environment", environment),
    fact("Release", releaseId),
    fact("Status", release ? describeStatus(release.status) : severity),
    ...(release?.services ?? []).map((service) =>
      fact(service.service, versionLine(service).slice(service.service.length + 2)),
    ),
  ];

  const body: CardElement[] = [
    {
      type: "TextBlock",
      text: headline(notification),
      wrap: true,
      size: "Medium",
      weight: "Bolder",
      color: COLOR[severity],
      style: "heading",
    },
    { type: "FactSet", facts },
  ];

  const events = notification.events;
  const shown = events.length > TEAMS_LIMITS.events ? events.slice(0, TEAMS_LIMITS.events - 1) : events;
  for (const event of shown) {
    body.push({
      type: "TextBlock",
      text: truncate(
        events.length > 1 ? eventLine(event) : event.message || event.type,
        TEAMS_LIMITS.eventChars,
      ),
      wrap: true,
      spacing: "Small",
      ...(event.severity === "info" ? { isSubtle: true } : { color: COLOR[event.severity] }),
    });
  }
  if (shown.length < events.length) {
    body.push({
      type: "TextBlock",
      text: `…and ${events.length - shown.length} more events`,
      wrap: true,
      isSubtle: true,
      spacing: "Small",
    });
  }

  const actions: AdaptiveCard["actions"] = notification.url
    ? [{ type: "Action.OpenUrl", title: "Open release", url: notification.url }]
    : [];

  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.5",
          msteams: { width: "Full" },
          body,
          actions,
        },
      },
    ],
  };
}
