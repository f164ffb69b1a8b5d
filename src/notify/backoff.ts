/** Durable retry delays of the outbox: the next attempt's time is stored, so a restart keeps it. */

export interface BackoffOptions {
  /** Delay ceiling after the first failed attempt. Default 1s. */
  baseMs: number;
  /** The ceiling never grows past this. Default 5 minutes. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 300_000 };

/** The ceiling after `attempts` failed attempts: base·2^(attempts-1), capped at max. */
export function backoffCeiling(attempts: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Exponential backoff with "equal jitter": uniformly between half the ceiling and the ceiling, so
 * retries of many deliveries spread out while each delay still grows with the attempts.
 */
export function retryDelay(
  attempts: number,
  random: () => number = Math.random,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const ceiling = backoffCeiling(attempts, options);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
