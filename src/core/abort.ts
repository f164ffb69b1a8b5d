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

/**
 * Signals for many long-running tasks under one parent (a server driving every release), with a single
 * listener on the parent in all, however many tasks run: each task's own listeners (a sleep between
 * passes, a call with a timeout) go on its child signal, so no signal collects one per task.
 */
export class AbortFanout {
  private readonly children = new Set<AbortController>();
  private readonly onAbort = () => {
    for (const child of this.children) child.abort(this.parent.reason);
  };

  constructor(private readonly parent: AbortSignal) {
    if (!parent.aborted) parent.addEventListener("abort", this.onAbort, { once: true });
  }

  /** A signal that aborts with the parent; call `done` when the task ends. */
  child(): { signal: AbortSignal; done(): void } {
    const controller = new AbortController();
    if (this.parent.aborted) controller.abort(this.parent.reason);
    else this.children.add(controller);
    return { signal: controller.signal, done: () => this.children.delete(controller) };
  }

  /** Tasks running now. */
  get size(): number {
    return this.children.size;
  }

  /** Unlinks from the parent (children already handed out keep their own state). */
  dispose(): void {
    this.parent.removeEventListener("abort", this.onAbort);
    this.children.clear();
  }
}
