import { mapStrings } from "../config/merge.js";
import { redactSecrets } from "../config/redact.js";
import type { Notification } from "./types.js";

/**
 * Masks every known secret (`${secret:X}` values and credential fields, see `config/redact.ts`) in
 * what the notification says — its events and release summary — before it leaves the process. Events are already redacted when they are written;
 * this is the last line of defence. The id (the idempotency key) and the dashboard link are kept.
 */
export function scrubNotification(notification: Notification): Notification {
  return {
    ...notification,
    events: mapStrings(notification.events, redactSecrets) as Notification["events"],
    ...(notification.release
      ? { release: mapStrings(notification.release, redactSecrets) as Notification["release"] }
      : {}),
  };
}
