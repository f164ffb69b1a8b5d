/**
 * Dates written in tandem.yaml (freeze windows): an ISO 8601 date, or date and time, either with a UTC
 * offset (`2026-12-24T18:00:00+01:00`, `...Z`) or without one, read as wall-clock time in a time zone
 * (the window's `timezone`, default UTC), never in the time zone of the machine that loads the file.
 */

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export interface WrittenDateTime {
  /** The wall-clock fields as if they were UTC (Date.UTC of them). */
  wallClock: number;
  /** Minutes east of UTC when the text names an offset. */
  offsetMinutes?: number;
}

/** Parses the text; undefined when it is not a valid ISO 8601 date (and time). */
export function parseWrittenDateTime(text: string): WrittenDateTime | undefined {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match
    .slice(1, 7)
    .map((part) => (part === undefined ? 0 : Number(part)));
  const millis = match[7] === undefined ? 0 : Number(match[7].padEnd(3, "0"));
  const wallClock = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, millis);
  const check = new Date(wallClock);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month! - 1 ||
    check.getUTCDate() !== day ||
    hour! > 23 ||
    minute! > 59 ||
    second! > 59
  ) {
    return undefined;
  }
  const zone = match[8];
  if (zone === undefined) return { wallClock };
  if (zone.toUpperCase() === "Z") return { wallClock, offsetMinutes: 0 };
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return { wallClock, offsetMinutes: (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes) };
}

/** Whether Intl knows the IANA time zone name (`Europe/Paris`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds the zone's wall clock is ahead of UTC at `instant`. */
export function zoneOffset(instant: number, timeZone: string): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(
    formatter.formatToParts(new Date(instant)).map((part) => [part.type, Number(part.value)]),
  ) as Record<string, number>;
  const wallClock = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour!,
    parts.minute!,
    parts.second!,
  );
  return wallClock - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The instant a written date and time denotes: its own offset when it has one, else the wall-clock time
 * in `timeZone`. As in Temporal's "compatible" disambiguation, a time repeated by a DST change is the
 * earlier instant, and a time skipped by one is read with the offset from before the change.
 */
export function toInstant(written: WrittenDateTime, timeZone: string): number {
  const wall = written.wallClock;
  if (written.offsetMinutes !== undefined) return wall - written.offsetMinutes * 60_000;
  const day = 86_400_000;
  const before = wall - zoneOffset(wall - day, timeZone);
  const after = wall - zoneOffset(wall + day, timeZone);
  const valid = [before, after].filter((instant) => wall - instant === zoneOffset(instant, timeZone));
  return valid.length > 0 ? Math.min(...valid) : before;
}
