import type { NotificationChannelConfig } from "../core/config.js";
import { post } from "./http.js";
import { scrubNotification } from "./scrub.js";
import { formatSlack } from "./slack-format.js";
import type { Notification, Notifier } from "./types.js";

type SlackConfig = Extract<NotificationChannelConfig, { type: "slack" }>;

/** Posts a Block Kit message to a Slack incoming webhook. */
export class SlackNotifier implements Notifier {
  readonly type = "slack" as const;
  readonly name: string;

  constructor(private readonly config: SlackConfig) {
    this.name = config.name;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    await post(
      {
        channel: this.name,
        url: this.config.url,
        body: JSON.stringify(formatSlack(scrubNotification(notification))),
        headers: { "content-type": "application/json", "idempotency-key": notification.id },
        timeoutMs: this.config.timeout,
      },
      signal,
    );
  }
}
