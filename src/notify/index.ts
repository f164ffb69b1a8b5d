import type { NotificationChannelConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import type { Notifier } from "./types.js";

// Placeholder registry of this branch: the slack, teams, email and webhook notifiers come from
// another branch, whose src/notify/index.ts replaces this file at merge.

/** The Notifier for a channel's `type`. */
export function createNotifier(config: NotificationChannelConfig): Notifier {
  throw new UnknownTypeError("notification channel", (config as { type: string }).type, []);
}
