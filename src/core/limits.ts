import { TandemError } from "./errors.js";

const DAY = 86_400_000;

/**
 * How much work one request (an API call or a local `tandem report` / `audit` / `history`) may ask
 * for. Every limit is checked before the work starts; going over one is a TANDEM_ERR_LIMIT (HTTP 400)
 * or, for connections and rates, TANDEM_ERR_BUSY (HTTP 429 with `Retry-After`), naming the limit.
 * docs/server-api.md "Limits" lists them.
 */
export const LIMITS = {
  /** The longest `since`..`until` span of a delivery report: 2 years (732 days). */
  maxRangeMs: 732 * DAY,
  /** Most weekly trend buckets a report computes (a 2-year span has 105). */
  maxBuckets: 106,
  /** Earliest and latest instant a `since` / `until` may name (years 2000 to 2199). */
  earliest: Date.UTC(2000, 0, 1),
  latest: Date.UTC(2200, 0, 1),
  /** Most items in one page of a list route (releases, registry history, versions, notifications). */
  maxPage: 500,
  /** Most audit entries and events in one answer. */
  maxAuditPage: 1000,
  maxEventPage: 1000,
  /** Open event streams (SSE), per token and in all. */
  streamsPerToken: 10,
  streamsTotal: 200,
  /** Bytes an event stream may have queued for a slow reader before it is closed. */
  streamBufferBytes: 1024 * 1024,
  /** Simulations (`POST /simulate`) running at once, and started per token per minute. */
  simulationsRunning: 2,
  simulationsPerTokenPerMinute: 10,
} as const;

/** A TANDEM_ERR_LIMIT naming the limit that was crossed and its value. */
export function limitError(message: string, hint?: string): TandemError {
  return new TandemError("TANDEM_ERR_LIMIT", message, { hint });
}

/** `limit`, checked: a whole number from 1 to `max` (the caller's default when absent). */
export function checkPageSize(
  name: string,
  value: number | undefined,
  fallback: number,
  max: number,
): number {
  const limit = value ?? fallback;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `${name} ${value} is not a positive whole number`, {
      hint: `e.g. ${name} ${Math.min(50, max)}`,
    });
  }
  if (limit > max) {
    throw limitError(`${name} ${limit} is over the limit of ${max} per page`, "page with the cursor instead");
  }
  return limit;
}

/** An instant given by a person (`since`, `until`): within the years LIMITS allows. */
export function checkInstant(name: string, at: number): number {
  if (!Number.isFinite(at) || at < LIMITS.earliest || at > LIMITS.latest) {
    const shown = Number.isFinite(at) ? new Date(at).toISOString().slice(0, 10) : String(at);
    throw limitError(
      `${name} ${shown} is outside the limit of ${iso(LIMITS.earliest)} to ${iso(LIMITS.latest)}`,
    );
  }
  return at;
}

/**
 * A time range of a report: both ends within the allowed years, at most LIMITS.maxRangeMs long and
 * at most LIMITS.maxBuckets buckets of `bucketMs`.
 */
export function checkRange(since: number, until: number, bucketMs: number): void {
  checkInstant("since", since);
  checkInstant("until", until);
  const span = until - since;
  const days = Math.ceil(span / DAY);
  if (span > LIMITS.maxRangeMs) {
    throw limitError(
      `the range since ${iso(since)} until ${iso(until)} is ${days} days, over the limit of ${LIMITS.maxRangeMs / DAY} days`,
      "ask for a shorter range (several reports for a longer history)",
    );
  }
  const buckets = Math.ceil(span / bucketMs);
  if (buckets > LIMITS.maxBuckets) {
    throw limitError(`the range has ${buckets} buckets, over the limit of ${LIMITS.maxBuckets}`);
  }
}

const iso = (at: number) => new Date(at).toISOString().slice(0, 10);
