import { TandemError } from "../core/errors.js";

/** A notification could not be delivered (refused, non-2xx, timed out); the outbox retries it. */
export class NotifyError extends TandemError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super("TANDEM_ERR_NOTIFY", message, options);
  }
}

export class NotifyTimeoutError extends NotifyError {
  constructor(channel: string, ms: number) {
    super(`channel ${channel}: no answer within ${ms}ms`, {
      hint: "the channel's `timeout` bounds one attempt; the delivery is retried later",
    });
  }
}
