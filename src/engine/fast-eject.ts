import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/types.js";
import type { ServiceRuntime } from "./runtime.js";

const EJECT_TIMEOUT_MS = 5_000;

/**
 * Reaction to a failed endpoint between passes. The router takes the endpoint out of traffic at once
 * (when it can eject), without waiting for the next pass's table; and the release's loop is woken, so
 * the pass that rolls back follows right away instead of after its interval.
 */
export class FastEject {
  private readonly wakers = new Map<string, () => void>();
  /** Releases woken while their pass ran (no loop was sleeping): their next pause is skipped. */
  private readonly woken = new Set<string>();

  wire(releaseId: string, runtime: ServiceRuntime, log: Logger): void {
    runtime.monitor.onFailed?.((endpoint) => {
      const { router } = runtime;
      if (!router.eject) {
        this.wake(releaseId);
        return;
      }
      // The release is woken once the eject is answered, not with it: the pass that rolls back (store
      // writes, a new table, instances stopped) would otherwise hold the event loop while the eject's
      // request waits to be written, and with it every other failed endpoint's.
      router
        .eject([endpoint.id], AbortSignal.timeout(EJECT_TIMEOUT_MS))
        .catch((error: unknown) =>
          log.warn("router could not eject a failed endpoint; the next pass drops it", {
            service: runtime.service.name,
            endpoint: endpoint.id,
            error: String(error),
          }),
        )
        .finally(() => this.wake(releaseId));
    });
  }

  wake(releaseId: string): void {
    const waker = this.wakers.get(releaseId);
    if (waker) {
      waker();
      return;
    }
    this.woken.add(releaseId);
  }

  /** The release's runtimes are gone: a wake-up kept for it would never be consumed. */
  forget(releaseId: string): void {
    this.woken.delete(releaseId);
  }

  /** The sleep between two passes of a release: `ms` of the clock, or less when woken. */
  async pause(releaseId: string, clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
    if (this.woken.delete(releaseId)) return;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    this.wakers.set(releaseId, onAbort);
    try {
      if (!signal.aborted) await clock.sleep(ms, controller.signal).catch(() => undefined);
    } finally {
      this.wakers.delete(releaseId);
      signal.removeEventListener("abort", onAbort);
    }
  }
}
