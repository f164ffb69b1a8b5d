import type { NotificationChannelConfig } from "../core/config.js";
import type { ReleaseState } from "../core/types.js";
import type { OutboxDelivery, Store } from "../store/types.js";
import type { Notification, ReleaseSummary } from "./types.js";

/** What a notification says about its release, as the release stands at send time. */
export function summarizeRelease(release: ReleaseState): ReleaseSummary {
  return {
    id: release.id,
    project: release.project,
    environment: release.environment,
    status: release.status,
    services: release.rollouts.map((rollout) => {
      const service: ReleaseSummary["services"][number] = {
        service: rollout.service,
        version: rollout.version,
        status: rollout.status,
        weight: rollout.weight,
      };
      if (rollout.stableVersion) service.stableVersion = rollout.stableVersion;
      return service;
    }),
  };
}

/**
 * The notification for one unit of the outbox: a single delivery (id = the row's id), or a digest's
 * batch (id = the batch key). Either id is the same on every attempt.
 */
export async function buildNotification(
  store: Store,
  channel: NotificationChannelConfig,
  unit: OutboxDelivery[],
): Promise<Notification> {
  const first = unit[0]!;
  const notification: Notification = {
    id: first.batch ?? first.id,
    channel: channel.name,
    events: [...unit].sort((a, b) => a.eventSeq - b.eventSeq).map((delivery) => delivery.event),
  };
  const release = await store.getRelease(first.releaseId);
  if (release) notification.release = summarizeRelease(release);
  if (channel.link) notification.url = `${channel.link.replace(/\/+$/, "")}/releases/${first.releaseId}`;
  return notification;
}
