import type { NotificationChannelConfig } from "../core/config.js";
import type { Status, TandemEvent } from "../core/types.js";

/** Where a release stands when a notification about it is sent: what, where, which versions, status. */
export interface ReleaseSummary {
  id: string;
  project: string;
  environment: string;
  status: Status;
  services: Array<{
    service: string;
    version: string;
    /** The version it replaces, when there was one. */
    stableVersion?: string;
    status: Status;
    /** Percent of traffic on `version`. */
    weight: number;
  }>;
}

/** One message to one channel: a single event, or a digest of one release's events. */
export interface Notification {
  /**
   * Idempotency key, the same on every attempt (HTTP `Idempotency-Key`, the CloudEvents `id`, the
   * email `Message-ID`): a receiver that remembers it never acts twice on one notification.
   */
  id: string;
  channel: string;
  /** Oldest first; one for a plain notification, several for a digest. */
  events: TandemEvent[];
  /** The release as it stands at send time, when the events belong to one. */
  release?: ReleaseSummary;
  /** Link to the release on the dashboard (`<link>/releases/<id>`), when the channel has `link`. */
  url?: string;
}

/**
 * Delivers notifications to one channel. `send` throws on any failure (refused, non-2xx, timeout) so
 * that the outbox retries; it honours the signal. It must not log or throw the channel's secrets.
 */
export interface Notifier {
  readonly name: string;
  readonly type: NotificationChannelConfig["type"];
  send(notification: Notification, signal: AbortSignal): Promise<void>;
}

export type NotifierFactory = (config: NotificationChannelConfig) => Notifier;
