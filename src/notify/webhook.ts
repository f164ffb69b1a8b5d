import { type Clock, systemClock } from "../core/clock.js";
import type { NotificationChannelConfig } from "../core/config.js";
import { CLOUDEVENT_CONTENT_TYPE, toCloudEvent } from "./cloudevent.js";
import { post } from "./http.js";
import { scrubNotification } from "./scrub.js";
import { signatureHeaders } from "./signature.js";
import type { Notification, Notifier } from "./types.js";

type WebhookConfig = Extract<NotificationChannelConfig, { type: "webhook" }>;

/**
 * POSTs a CloudEvents 1.0 structured JSON event, signed with HMAC-SHA256 when the channel has a
 * `secret` (`Tandem-Timestamp`, `Tandem-Signature`; see docs/webhooks.md). Configured `headers` are
 * sent as given and may hold tokens: they never appear in errors.
 */
export class WebhookNotifier implements Notifier {
  readonly type = "webhook" as const;
  readonly name: string;

  constructor(
    private readonly config: WebhookConfig,
    private readonly clock: Clock = systemClock,
  ) {
    this.name = config.name;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(toCloudEvent(scrubNotification(notification)));
    const headers: Record<string, string> = {
      ...extraHeaders(this.config.headers),
      "Content-Type": CLOUDEVENT_CONTENT_TYPE,
      "Idempotency-Key": notification.id,
      ...(this.config.secret ? signatureHeaders(this.config.secret, body, this.clock.now()) : {}),
    };
    await post(
      { channel: this.name, url: this.config.url, body, headers, timeoutMs: this.config.timeout },
      signal,
    );
  }
}

/** Tandem's own headers (content type, idempotency key, signature) cannot be replaced by configuration. */
const RESERVED = new Set(["content-type", "idempotency-key", "tandem-timestamp", "tandem-signature"]);

function extraHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !RESERVED.has(name.toLowerCase())));
}
