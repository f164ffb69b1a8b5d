import type { Clock } from "../core/clock.js";
import type { HookHandle } from "../core/types.js";
import type { HookPoll, HookRunner, HookStart } from "../hooks/types.js";

/** What a simulated hook prints: it never runs a command. */
export const SIMULATED_HOOK_OUTPUT = "simulated: not run";

/**
 * The hook runner of `tandem simulate`: no command runs (a simulation has no side effects), every hook
 * succeeds at once in virtual time, and its name is recorded in `simulated`. Runs are keyed by
 * `run.key`, like the real runner's, so a repeated start joins the first one.
 */
export class SimulatedHookRunner implements HookRunner {
  /** Names of the hooks the simulation stood in for, in order. */
  readonly simulated: string[] = [];
  private readonly handles = new Map<string, HookHandle>();

  constructor(private readonly clock: Clock) {}

  async start(run: HookStart, signal: AbortSignal): Promise<HookHandle> {
    signal.throwIfAborted();
    const existing = this.handles.get(run.key);
    if (existing) return { ...existing };
    const handle: HookHandle = {
      id: run.key,
      pid: 0,
      resultFile: `simulated://${run.key}/result.json`,
      logFile: `simulated://${run.key}/log`,
      startedAt: this.clock.now(),
    };
    this.handles.set(run.key, handle);
    this.simulated.push(run.spec.name);
    return { ...handle };
  }

  async poll(handle: HookHandle): Promise<HookPoll> {
    if (!this.handles.has(handle.id)) return { state: "lost", output: "" };
    return { state: "exited", exitCode: 0, signal: null, timedOut: false, output: SIMULATED_HOOK_OUTPUT };
  }

  async cancel(): Promise<void> {}
}
