import type { Clock } from "../core/clock.js";
import { TandemError } from "../core/errors.js";

/** An attempt that got no answer within the channel's `timeout`; the outbox retries it. */
export class NotifyTimeoutError extends TandemError {
  constructor(channel: string, ms: number) {
    super("TANDEM_ERR_NOTIFY_FAILED", `channel ${channel}: no answer within ${ms}ms`, {
      hint: "the channel's `timeout` bounds one attempt; the delivery is retried later",
    });
  }
}

/**
 * Runs `work` with a signal aborted after `ms` of `clock` time (or when `parent` aborts), and settles by
 * then even if `work` ignores its signal: a slow channel cannot hold the dispatcher longer than that.
 */
export async function withTimeout<T>(
  clock: Clock,
  ms: number,
  parent: AbortSignal,
  timeoutError: () => Error,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const stopTimer = new AbortController();
  let onParent = () => {};
  const cancelled = new Promise<never>((_, reject) => {
    onParent = () => {
      controller.abort(parent.reason);
      reject(parent.reason);
    };
    if (parent.aborted) onParent();
    else parent.addEventListener("abort", onParent, { once: true });
  });
  const timedOut = clock.sleep(ms, stopTimer.signal).then(
    () => {
      const error = timeoutError();
      controller.abort(error);
      throw error;
    },
    () => new Promise<never>(() => {}),
  );
  try {
    return await Promise.race([work(controller.signal), timedOut, cancelled]);
  } finally {
    stopTimer.abort();
    parent.removeEventListener("abort", onParent);
  }
}
