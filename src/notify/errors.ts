import { TandemError } from "../core/errors.js";

/**
 * A notification could not be delivered (refused, non-2xx, timeout, aborted, SMTP error). The message
 * names the channel and what went wrong, never the channel's URL path, query, headers or credentials.
 */
export class NotificationError extends TandemError {
  /** The channel's name. */
  readonly channel: string;
  /** The HTTP status, when the receiver answered. */
  readonly status?: number;

  constructor(
    channel: string,
    message: string,
    options: { cause?: unknown; hint?: string; status?: number } = {},
  ) {
    super("TANDEM_ERR_NOTIFY_FAILED", `notification channel "${channel}": ${message}`, {
      cause: options.cause,
      hint: options.hint,
    });
    this.channel = channel;
    this.status = options.status;
  }
}

/** Why `verifyWebhook` refused a delivery. */
export type WebhookRejection =
  | "missing_header"
  | "malformed_header"
  | "bad_signature"
  | "stale_timestamp"
  | "replayed_id"
  | "malformed_body";

/** A webhook delivery that a receiver must not trust; `reason` says why. */
export class WebhookVerificationError extends TandemError {
  readonly reason: WebhookRejection;

  constructor(reason: WebhookRejection, message: string) {
    super("TANDEM_ERR_WEBHOOK_VERIFY", `webhook rejected (${reason}): ${message}`);
    this.reason = reason;
  }
}
