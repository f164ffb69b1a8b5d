import { setTimeout as delay } from "node:timers/promises";

type Falsy = false | 0 | "" | null | undefined;

export interface WaitOptions {
  /** Give up after this long. Default 20s. */
  timeoutMs?: number;
  /** Time between checks. Default 50ms. */
  intervalMs?: number;
}

/**
 * Checks `condition` until it returns a truthy value, and returns that value. Bounded in time; throws
 * naming `what` was awaited (and the last error the check threw, if any) when the time is up.
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | Falsy | Promise<T | Falsy>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await condition();
      if (value) return value as T;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs}ms (${attempt + 1} checks) waiting for ${what}${detail}`);
    }
    await delay(intervalMs);
  }
}
