import { CronExpressionParser } from "cron-parser";
import type { FreezeWindow } from "../core/config.js";
import { formatDuration } from "../core/duration.js";

/** A change freeze in force: the window, and when the environment opens again. */
export interface ActiveFreeze {
  window: FreezeWindow;
  /** The instant (ms) no freeze covers any more: windows that overlap or follow on are joined. */
  until: number;
  /** Windows still followed on after joining `MAX_JOINS` of them (e.g. `* * * * *` for 1m): `until` is a lower bound. */
  endless?: boolean;
}

const MAX_JOINS = 100;

/** The span of `window` that covers `now` (start <= now < end), if any. */
function coveringSpan(window: FreezeWindow, now: number): { start: number; end: number } | undefined {
  if (window.type === "period") {
    return window.from <= now && now < window.to ? { start: window.from, end: window.to } : undefined;
  }
  // The latest start at or before `now` (prev() is strictly before its current date, hence the +1 ms);
  // it also ends last, so it alone decides whether a recurring window covers `now`.
  let start: number;
  try {
    start = CronExpressionParser.parse(window.schedule, { currentDate: now + 1, tz: window.timezone })
      .prev()
      .getTime();
  } catch {
    return undefined; // the configuration checked the expression; a schedule with no past occurrence
  }
  const end = start + window.duration;
  return now < end ? { start, end } : undefined;
}

/**
 * The change freeze in force at `now`, if any: a period `{ from, to }` covers from <= now < to; a
 * recurring window covers `duration` (elapsed time, so a weekend that spans a DST change still lasts 62h)
 * from each start its cron `schedule` gives in its `timezone`. With several, the one ending last; `until`
 * also follows on through windows that start before (or as) it ends.
 */
export function activeFreeze(windows: readonly FreezeWindow[], now: number): ActiveFreeze | undefined {
  let active: ActiveFreeze | undefined;
  for (const window of windows) {
    const span = coveringSpan(window, now);
    if (span && (!active || span.end > active.until)) active = { window, until: span.end };
  }
  if (!active) return undefined;
  // Bounded: a window always ends after it starts, so each round moves `until` forward.
  for (let round = 0; round <= MAX_JOINS; round++) {
    let next = active.until;
    for (const window of windows) next = Math.max(next, coveringSpan(window, active.until)?.end ?? next);
    if (next === active.until) return active;
    if (round === MAX_JOINS) return { ...active, endless: true };
    active.until = next;
  }
  return active;
}

function formatInstant(instant: number, timeZone: string): string {
  const iso = new Date(instant).toISOString().replace(".000Z", "Z");
  if (timeZone === "UTC") return iso;
  const local = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(instant));
  return `${local} ${timeZone} (${iso})`;
}

/**
 * For messages: `"weekend" (0 18 * * 5 for 62h, Europe/Paris): no releases over the weekend; until Mon,
 * 30 Mar 2026, 09:00 Europe/Paris (2026-03-30T07:00:00Z)`.
 */
export function describeFreeze(window: FreezeWindow, until: number, endless = false): string {
  const what =
    window.type === "schedule"
      ? `${JSON.stringify(window.name)} (${window.schedule} for ${formatDuration(window.duration)}, ${window.timezone})`
      : JSON.stringify(window.name);
  const reason = window.reason ? `: ${window.reason}` : "";
  const when = formatInstant(until, window.type === "schedule" ? window.timezone : "UTC");
  return `${what}${reason}; ${endless ? `no end in sight (its windows follow on past ${when})` : `until ${when}`}`;
}
