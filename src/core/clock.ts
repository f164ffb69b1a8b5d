/**
 * Time is injected. The engine, probes and timers read time only through a Clock, so tests and the
 * simulator run a 30-minute canary in virtual time.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms` of this clock's time, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

interface Sleeper {
  at: number;
  resolve: () => void;
  /** Aborted: left in place (finding it among thousands due at the same instant costs a scan) and skipped. */
  cancelled?: boolean;
}

/** A clock that moves only when told to. `advance` wakes every sleeper whose time has come, in order. */
export class ManualClock implements Clock {
  private current: number;
  /** In time order from `head` (entries before it are woken); `shift` on a big array copies it all. */
  private sleepers: Sleeper[] = [];
  private head = 0;
  private cancelled = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        sleeper.cancelled = true;
        this.cancelled++;
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      // Kept in time order (after those due at the same instant): thousands of sleepers (one per probe
      // at scale) are not sorted again at every wake-up.
      let low = this.head;
      let high = this.sleepers.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (this.sleepers[mid]!.at <= sleeper.at) low = mid + 1;
        else high = mid;
      }
      this.sleepers.splice(low, 0, sleeper);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Moves time forward by `ms`, waking sleepers in time order. Before each wake-up, pending work is let
   * run to completion, so work that would finish "instantly" in real time never loses a race to a timer.
   */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      await settle();
      while (this.sleepers[this.head]?.cancelled) {
        this.head++;
        this.cancelled--;
      }
      const next = this.sleepers[this.head];
      if (!next || next.at > end) break;
      this.head++;
      this.compact();
      this.current = next.at;
      next.resolve();
    }
    this.current = end;
    await settle();
  }

  private compact(): void {
    if (this.head < 1024 || this.head * 2 < this.sleepers.length) return;
    this.sleepers = this.sleepers.slice(this.head);
    this.head = 0;
  }

  pendingSleepers(): number {
    return this.sleepers.length - this.head - this.cancelled;
  }
}

/** Lets promise chains and already-queued immediates run (a few event-loop turns, no real time). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}
