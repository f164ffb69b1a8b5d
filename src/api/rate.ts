import type { Clock } from "../core/clock.js";
import { TandemError } from "../core/errors.js";

/**
 * Admission for costly routes: at most `perWindow` starts per key (a token) in any `windowMs`, and at
 * most `running` at once in all. Over either, a TANDEM_ERR_BUSY (429) with Retry-After. Time is the
 * injected clock's; keys whose starts are all older than the window are forgotten, so memory is
 * bounded by the keys active in one window.
 */
export class Admission {
  private readonly starts = new Map<string, number[]>();
  private active = 0;

  constructor(
    private readonly what: string,
    private readonly clock: Clock,
    private readonly limits: { perWindow: number; windowMs: number; running: number },
  ) {}

  /** Runs `work` if admitted; throws TANDEM_ERR_BUSY naming the limit otherwise. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const { perWindow, windowMs, running } = this.limits;
    for (const [k, times] of this.starts) {
      const recent = times.filter((at) => at > now - windowMs);
      if (recent.length === 0) this.starts.delete(k);
      else this.starts.set(k, recent);
    }
    if (this.active >= running) {
      throw new TandemError(
        "TANDEM_ERR_BUSY",
        `${this.what}: the limit of ${running} running at once is reached`,
        { retryAfterSeconds: 1, hint: "try again in a moment" },
      );
    }
    const mine = this.starts.get(key) ?? [];
    if (mine.length >= perWindow) {
      const retry = Math.max(1, Math.ceil((mine[0]! + windowMs - now) / 1000));
      throw new TandemError(
        "TANDEM_ERR_BUSY",
        `${this.what}: the limit of ${perWindow} per token per ${windowMs / 1000}s is reached`,
        { retryAfterSeconds: retry, hint: `try again in ${retry}s` },
      );
    }
    this.starts.set(key, [...mine, now]);
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
    }
  }
}
