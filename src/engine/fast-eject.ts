import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/types.js";
import type { ServiceRuntime } from "./runtime.js";

/** A wake-up older than this is forgotten (no loop was sleeping for it). */
const WAKE_MEMORY_MS = 60_000;
const EJECT_TIMEOUT_MS = 5_000;

/**
 * Reaction to a failed endpoint between passes. The router takes the endpoint out of traffic at once
 * (when it can eject), without waiting for the next pass's table; and the release's loop is woken, so
 * the pass that rolls back follows right away instead of after its interval.
 */
export class FastEject {
  private readonly wakers = new Map<string, () => void>();
  /** Wake-ups that came while the release's pass ran (real time, performance.now()). */
  private readonly woken = new Map<string, number>();

  wire(releaseId: string, runtime: ServiceRuntime, log: Logger): void {
    runtime.monitor.onFailed?.((endpoint) => {
      const { router } = runtime;
      router.eject?.([endpoint.id], AbortSignal.timeout(EJECT_TIMEOUT_MS)).catch((error: unknown) =>
        log.warn("router could not eject a failed endpoint; the next pass drops it", {
          service: runtime.service.name,
          endpoint: endpoint.id,
          error: String(error),
        }),
      );
      this.wake(releaseId);
    });
  }

  wake(releaseId: string): void {
    const waker = this.wakers.get(releaseId);
    if (waker) {
      waker();
      return;
    }
    const now = performance.now();
    this.woken.set(releaseId, now);
    if (this.woken.size > 1_000) {
      for (const [id, at] of this.woken) if (now - at > WAKE_MEMORY_MS) this.woken.delete(id);
    }
  }

  /** The sleep between two passes of a release: `ms` of the clock, or less when woken. */
  async pause(releaseId: string, clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
    const wokenAt = this.woken.get(releaseId);
    this.woken.delete(releaseId);
    if (wokenAt !== undefined && performance.now() - wokenAt < WAKE_MEMORY_MS) return;
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
