import { NOTIFIER_TYPES } from "../config/schema-notifications.js";
import type { Clock } from "../core/clock.js";
import type { NotificationChannelConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { EmailNotifier } from "./email.js";
import { SlackNotifier } from "./slack.js";
import { TeamsNotifier } from "./teams.js";
import type { Notifier } from "./types.js";
import { WebhookNotifier } from "./webhook.js";

export { NOTIFIER_TYPES };

export interface NotifierOptions {
  /** Signs webhook deliveries with this clock's time. Default the system clock. */
  clock?: Clock;
}

/** The Notifier for one configured channel; an unknown `type` is an error, never a silent default. */
export function createNotifier(config: NotificationChannelConfig, options: NotifierOptions = {}): Notifier {
  switch (config.type) {
    case "slack":
      return new SlackNotifier(config);
    case "teams":
      return new TeamsNotifier(config);
    case "email":
      return new EmailNotifier(config);
    case "webhook":
      return new WebhookNotifier(config, options.clock);
    default:
      throw new UnknownTypeError(
        "notification channel",
        (config as { type: unknown }).type as string,
        NOTIFIER_TYPES,
      );
  }
}

export { type TandemCloudEvent, toCloudEvent } from "./cloudevent.js";
export { NotificationError, type WebhookRejection, WebhookVerificationError } from "./errors.js";
export {
  computeSignature,
  type SeenIds,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  type VerifyWebhookOptions,
  verifyWebhook,
} from "./signature.js";
export type * from "./types.js";
