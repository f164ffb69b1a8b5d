import type { NotificationChannelConfig, NotificationRouting } from "../core/config.js";
import type { Severity, TandemEvent } from "../core/types.js";
import type { OutboxRouting } from "../store/types.js";

/** Which channels receive which events (pure): `on`, `environments`, `services`, `minSeverity`. */

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** An event type matches `*`, itself, or a prefix pattern `rollout.*`. */
export function matchesType(type: string, patterns: readonly string[]): boolean {
  return patterns.some(
    (pattern) =>
      pattern === "*" ||
      pattern === type ||
      (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1))),
  );
}

/**
 * Whether `channel` receives `event`. An empty environments or services list does not filter; an event
 * about the whole release (no service) always passes the services filter.
 */
export function routes(
  channel: Pick<NotificationRouting, "on" | "environments" | "services" | "minSeverity">,
  event: Pick<TandemEvent, "type" | "environment" | "service" | "severity">,
): boolean {
  if (!matchesType(event.type, channel.on)) return false;
  if (channel.environments.length > 0 && !channel.environments.includes(event.environment)) return false;
  if (
    event.service !== undefined &&
    channel.services.length > 0 &&
    !channel.services.includes(event.service)
  ) {
    return false;
  }
  return SEVERITY_RANK[event.severity] >= SEVERITY_RANK[channel.minSeverity];
}

/** The names of the channels that receive `event`. */
export function channelsFor(channels: readonly NotificationRouting[], event: TandemEvent): string[] {
  return channels.filter((channel) => routes(channel, event)).map((channel) => channel.name);
}

/** What the store needs to fill the outbox for these channels; undefined when there are none. */
export function outboxRouting(channels: readonly NotificationChannelConfig[]): OutboxRouting | undefined {
  if (channels.length === 0) return undefined;
  const digests = new Map(channels.map((channel) => [channel.name, channel.digest]));
  return {
    route: (event) => channelsFor(channels, event),
    digest: (channel) => digests.get(channel) ?? 0,
  };
}
