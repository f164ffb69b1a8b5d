import { z } from "zod";
import { DEFAULT_NOTIFY_ON, type NotificationChannelConfig } from "../core/config.js";
import {
  credential,
  duration,
  headerMap,
  nonEmptyString,
  port,
  strictObject,
  unknownTypeError,
} from "./schema-primitives.js";

export const NOTIFIER_TYPES = ["slack", "teams", "email", "webhook"] as const;

const EVENT_PATTERN = /^(\*|[a-z_]+\.\*|[a-z_]+\.[a-z_]+)$/;

const routing = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
      error: "a channel name uses letters, digits, dashes, dots and underscores",
    })
    .optional(),
  on: z
    .array(
      z.string().regex(EVENT_PATTERN, {
        error: 'expected an event type ("release.failed"), a prefix ("rollout.*") or "*"',
      }),
    )
    .min(1, { error: "list at least one event type" })
    .default([...DEFAULT_NOTIFY_ON]),
  environments: z.array(nonEmptyString).default([]),
  services: z.array(nonEmptyString).default([]),
  minSeverity: z
    .enum(["info", "warning", "error"], { error: 'expected "info", "warning" or "error"' })
    .default("info"),
  digest: duration
    .prefault(0)
    .meta({ description: "Gather one release's events into one message for this long" }),
  timeout: duration.prefault("10s"),
  maxAttempts: z.number().int().min(1, { error: "maxAttempts must be at least 1" }).default(8),
  link: z.url({ error: "expected the dashboard's base URL, e.g. https://tandem.example.com" }).optional(),
};

/** A channel's URL: Slack and Teams webhook URLs carry their token, so every channel URL is a credential. */
const url = credential(z.url({ error: "expected a URL (http:// or https://)" }));

const slack = strictObject({ type: z.literal("slack"), url, ...routing });
const teams = strictObject({ type: z.literal("teams"), url, ...routing });
const email = strictObject({
  type: z.literal("email"),
  host: nonEmptyString,
  port: port.default(587),
  secure: z.boolean().default(false),
  requireTLS: z.boolean().default(false),
  insecureTLS: z.boolean().default(false),
  auth: strictObject({ user: nonEmptyString, pass: credential(nonEmptyString) }).optional(),
  from: nonEmptyString,
  to: z.array(nonEmptyString).min(1, { error: "list at least one recipient" }),
  ...routing,
});
const webhook = strictObject({
  type: z.literal("webhook"),
  url,
  secret: credential(nonEmptyString).optional(),
  headers: headerMap.default({}),
  ...routing,
});

export const notificationsSchema = z
  .array(
    z.discriminatedUnion("type", [slack, teams, email, webhook], {
      error: unknownTypeError("notification channel", NOTIFIER_TYPES),
    }),
  )
  .superRefine((channels, ctx) => {
    const names = new Set<string>();
    channels.forEach((channel, index) => {
      if (channel.name === undefined) return;
      if (names.has(channel.name)) {
        ctx.addIssue({
          code: "custom",
          path: [index, "name"],
          message: `another channel is already named "${channel.name}"; channel names must be unique`,
        });
      }
      names.add(channel.name);
    });
  })
  .default([])
  .meta({ description: "Notification channels: slack, teams, email, webhook" });

/** Gives every channel its name (the type, then `<type>-2`…); names must end up unique. */
export function nameChannels(channels: z.output<typeof notificationsSchema>): NotificationChannelConfig[] {
  const seen = new Map<string, number>();
  return channels.map((channel) => {
    if (channel.name !== undefined) return channel as NotificationChannelConfig;
    const count = (seen.get(channel.type) ?? 0) + 1;
    seen.set(channel.type, count);
    return {
      ...channel,
      name: count === 1 ? channel.type : `${channel.type}-${count}`,
    } as NotificationChannelConfig;
  });
}
