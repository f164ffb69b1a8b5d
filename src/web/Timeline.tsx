import { formatTime } from "./format";
import type { TandemEvent } from "./types";

/** The release's events, newest first. */
export function Timeline({ events }: { events: TandemEvent[] }) {
  if (events.length === 0) return <p class="muted">No events yet.</p>;
  const newestFirst = [...events].sort((a, b) => (b.seq ?? b.at) - (a.seq ?? a.at));
  return (
    <ol class="timeline" aria-label="events, newest first">
      {newestFirst.map((event) => (
        <li
          key={event.seq ?? `${event.at}-${event.type}`}
          class={`sev-${event.severity}`}
          data-type={event.type}
        >
          <time>{formatTime(event.at).slice(11)}</time>
          <code class="event-type">{event.type}</code>
          <span class="event-message">{event.message}</span>
        </li>
      ))}
    </ol>
  );
}
