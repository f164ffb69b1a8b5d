import type { NotificationChannelConfig } from "../core/config.js";
import { post } from "./http.js";
import { scrubNotification } from "./scrub.js";
import { formatTeams } from "./teams-format.js";
import type { Notification, Notifier } from "./types.js";

type TeamsConfig = Extract<NotificationChannelConfig, { type: "teams" }>;

/** Posts an Adaptive Card to a Teams incoming webhook or a Workflows ("When a webhook request is received") URL. */
export class TeamsNotifier implements Notifier {
  readonly type = "teams" as const;
  readonly name: string;

  constructor(private readonly config: TeamsConfig) {
    this.name = config.name;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    await post(
      {
        channel: this.name,
        url: this.config.url,
        body: JSON.stringify(formatTeams(scrubNotification(notification))),
        headers: { "content-type": "application/json", "idempotency-key": notification.id },
        timeoutMs: this.config.timeout,
      },
      signal,
    );
  }
}
