/**
 * Runs `work` with a signal that aborts when `parent` does or after `timeoutMs`, and unlinks it from
 * `parent` afterwards. (`AbortSignal.any` leaves a listener on a long-lived parent signal per call: an
 * engine drives a release with one signal for hours.)
 */
export async function withTimeout<T>(
  parent: AbortSignal,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${timeoutMs}ms`, "TimeoutError")),
    timeoutMs,
  );
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    parent.removeEventListener("abort", onAbort);
  }
}
