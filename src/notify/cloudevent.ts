import type { TandemEvent } from "../core/types.js";
import { whereOf } from "./describe.js";
import type { Notification, ReleaseSummary } from "./types.js";

/** What the webhook channel POSTs: a CloudEvents 1.0 event in structured JSON mode. */
export interface TandemCloudEvent {
  specversion: "1.0";
  /** The notification's id: the same on every attempt (deduplicate on it). */
  id: string;
  /** `tandem/<project>/<environment>` */
  source: string;
  /** `dev.tandem.<event type>` (`dev.tandem.release.failed`), or `dev.tandem.digest` for several events. */
  type: string;
  /** The release id. */
  subject: string;
  /** RFC 3339: when the (last) event happened. */
  time: string;
  datacontenttype: "application/json";
  data: { events: TandemEvent[]; release?: ReleaseSummary; url?: string };
}

export const CLOUDEVENT_CONTENT_TYPE = "application/cloudevents+json";
export const DIGEST_TYPE = "dev.tandem.digest";

export function toCloudEvent(notification: Notification): TandemCloudEvent {
  const { project, environment, releaseId } = whereOf(notification);
  const events = notification.events;
  const single = events.length === 1 ? events[0] : undefined;
  const last = events[events.length - 1];
  return {
    specversion: "1.0",
    id: notification.id,
    source: `tandem/${project}/${environment}`,
    type: single ? `dev.tandem.${single.type}` : DIGEST_TYPE,
    subject: releaseId,
    time: new Date(last?.at ?? 0).toISOString(),
    datacontenttype: "application/json",
    data: {
      events,
      ...(notification.release ? { release: notification.release } : {}),
      ...(notification.url ? { url: notification.url } : {}),
    },
  };
}
