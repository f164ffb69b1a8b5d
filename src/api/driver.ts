import { AbortFanout } from "../core/abort.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/types.js";
import type { Orchestrator } from "../orchestrator.js";

/**
 * Drives every unfinished release of the project: those active when it starts and those created later
 * (through the API or another CLI), found by polling the store. A release another live engine drives
 * is left to it. `stop` aborts the passes and waits for them to end; the releases keep their state
 * and continue when a driver starts again (the engine is level-triggered).
 */
export class ReleaseDriver {
  private readonly controller = new AbortController();
  /** Each release runs on its own signal: one listener on the driver's, not one per release. */
  private readonly fanout = new AbortFanout(this.controller.signal);
  private readonly runs = new Map<string, Promise<unknown>>();
  private loop?: Promise<void>;

  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly options: { clock: Clock; log: Logger; pollMs?: number },
  ) {}

  start(): void {
    this.orchestrator.notifications.start();
    this.loop = this.poll();
  }

  /** Releases being driven by this process now. */
  driving(): string[] {
    return [...this.runs.keys()];
  }

  /** One look at the store: starts driving what is unfinished and not driven. */
  async scan(): Promise<void> {
    const active = await this.orchestrator.history({ active: true, limit: 1000 });
    for (const release of active) {
      if (this.runs.has(release.id) || this.controller.signal.aborted) continue;
      if (await this.orchestrator.isDriven(release.id)) continue;
      const child = this.fanout.child();
      const run = this.orchestrator
        .run(release.id, child.signal)
        .then((final) =>
          this.options.log.info(`release ${final.id} ${final.status}`, {
            releaseId: final.id,
            environment: final.environment,
            status: final.status,
          }),
        )
        .catch((error) =>
          this.options.log.error(`driving release ${release.id} failed`, {
            releaseId: release.id,
            error: error instanceof Error ? error.message : String(error),
          }),
        )
        .finally(() => {
          child.done();
          this.runs.delete(release.id);
        });
      this.runs.set(release.id, run);
    }
  }

  private async poll(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      await this.scan().catch((error) =>
        this.options.log.warn("looking for releases to drive failed", {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      await this.options.clock.sleep(this.options.pollMs ?? 1000, signal).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.controller.abort(new Error("the server is stopping"));
    await this.loop;
    await Promise.allSettled([...this.runs.values()]);
    this.fanout.dispose();
  }

  /** The signal every run hangs from (it holds one listener, however many releases run). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }
}
