import type { Clock } from "../core/clock.js";

/** Something woken at an instant; the promise it returns, if any, is awaited before the next is woken. */
export interface Waiter {
  wake(): PromiseLike<unknown> | undefined;
}

/** The waiters due at one instant of one clock, behind one sleep of that clock. */
export interface Instant {
  readonly at: number;
  readonly waiters: Set<Waiter>;
  readonly controller: AbortController;
}

const NOBODY_WAITS = new Error("no waiter is left for this instant");

/**
 * One sleep of the clock per instant at which anything waits, instead of one per waiter: thousands of
 * endpoints started in the same pass are due at the same instants, and a sleep (its promise, closures,
 * abort listener and signal) costs far more than a Set entry. The sleep is cancelled once the last
 * waiter of its instant is removed, so nothing is left sleeping for nobody.
 *
 * Waiters are woken in the order they were added, each after the previous one's returned promise has
 * settled (the monitor's is its checks' start, a few microtasks, never their end).
 */
export class Ticker {
  private readonly instants = new Map<number, Instant>();

  constructor(private readonly clock: Clock) {}

  /** Wakes `waiter` when the clock reaches `at`; returns the instant, to remove the waiter from it. */
  add(at: number, waiter: Waiter): Instant {
    let instant = this.instants.get(at);
    if (!instant) {
      const created: Instant = { at, waiters: new Set(), controller: new AbortController() };
      this.instants.set(at, created);
      this.clock.sleep(Math.max(0, at - this.clock.now()), created.controller.signal).then(
        () => this.fire(created),
        () => {},
      );
      instant = created;
    }
    instant.waiters.add(waiter);
    return instant;
  }

  /** Forgets `waiter` at `instant` (not woken then); the last one out cancels the instant's sleep. */
  remove(instant: Instant, waiter: Waiter): void {
    instant.waiters.delete(waiter);
    if (instant.waiters.size > 0 || this.instants.get(instant.at) !== instant) return;
    this.instants.delete(instant.at);
    instant.controller.abort(NOBODY_WAITS);
  }

  private async fire(instant: Instant): Promise<void> {
    if (this.instants.get(instant.at) === instant) this.instants.delete(instant.at);
    // A waiter removed while earlier ones are woken is skipped (a Set visits only present entries).
    for (const waiter of instant.waiters) {
      try {
        const started = waiter.wake();
        if (started) await started;
      } catch {
        // A waiter's bug must not keep the others asleep; the monitor reports its own errors.
      }
    }
    instant.waiters.clear();
  }
}

const tickers = new WeakMap<Clock, Ticker>();

/** The ticker of `clock`, shared by every monitor on it. */
export function tickerOf(clock: Clock): Ticker {
  let ticker = tickers.get(clock);
  if (!ticker) {
    ticker = new Ticker(clock);
    tickers.set(clock, ticker);
  }
  return ticker;
}
