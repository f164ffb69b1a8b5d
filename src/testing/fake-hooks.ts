import { redactSecrets } from "../config/redact.js";
import type { Clock } from "../core/clock.js";
import type { HookHandle, HookSpec } from "../core/types.js";
import type { HookPoll, HookRunner, HookStart } from "../hooks/types.js";

/** How a fake hook ends. Default for a name never configured: exit 0 at once, no output. */
export interface FakeHookOutcome {
  /** 0 is success; null when it ended by a signal. */
  exitCode: number | null;
  output?: string;
  /** Virtual ms from its start until it ends. Longer than the spec's timeout: it times out at the timeout. */
  after?: number;
  /** The runner loses it (its daemon died) once `after` has passed: poll says `lost`. */
  lost?: boolean;
  /** `start` rejects with this error (nothing runs, nothing is recorded). */
  startError?: Error;
}

/** One hook the fake ran (a repeated `start` with the same key joins the run instead). */
export interface FakeHookStartRecord {
  key: string;
  name: string;
  spec: HookSpec;
  vars: Record<string, string>;
  env: Record<string, string>;
  /** Virtual time of the start. */
  at: number;
}

interface FakeRun {
  record: FakeHookStartRecord;
  handle: HookHandle;
  outcome: FakeHookOutcome;
  cancelledAt?: number;
}

const SUCCESS: FakeHookOutcome = { exitCode: 0, output: "" };

/**
 * A HookRunner on a virtual clock for engine tests: outcomes are configured per hook name, every run
 * and every cancel is recorded. Like the real runner, runs are keyed by `run.key` and outlive the
 * engine: share one instance between the engines of a test to simulate a restart.
 */
export class FakeHookRunner implements HookRunner {
  /** Every run started, in order. */
  readonly starts: FakeHookStartRecord[] = [];
  /** Keys of the runs `cancel` was called for (each call, in order). */
  readonly cancels: string[] = [];
  private readonly outcomes = new Map<string, FakeHookOutcome>();
  private readonly runs = new Map<string, FakeRun>();
  private nextPid = 40_000;

  constructor(private readonly clock: Clock) {}

  /** How runs of the hook `name` end from now on (runs already started keep theirs). */
  outcome(name: string, outcome: FakeHookOutcome): this {
    this.outcomes.set(name, outcome);
    return this;
  }

  /** The runs of one hook, by name. */
  startsOf(name: string): FakeHookStartRecord[] {
    return this.starts.filter((start) => start.name === name);
  }

  async start(run: HookStart, signal: AbortSignal): Promise<HookHandle> {
    signal.throwIfAborted();
    const existing = this.runs.get(run.key);
    if (existing) return { ...existing.handle };
    const outcome = this.outcomes.get(run.spec.name) ?? SUCCESS;
    if (outcome.startError) throw outcome.startError;
    const at = this.clock.now();
    const record: FakeHookStartRecord = {
      key: run.key,
      name: run.spec.name,
      spec: structuredClone(run.spec),
      vars: { ...run.vars },
      env: { ...run.env },
      at,
    };
    const handle: HookHandle = {
      id: run.key,
      pid: this.nextPid++,
      resultFile: `fake://${run.key}/result.json`,
      logFile: `fake://${run.key}/log`,
      startedAt: at,
    };
    this.starts.push(record);
    this.runs.set(run.key, { record, handle, outcome });
    return { ...handle };
  }

  async poll(handle: HookHandle): Promise<HookPoll> {
    const run = this.runs.get(handle.id);
    if (!run) return { state: "lost", output: "" };
    const { outcome, record } = run;
    const output = redactSecrets(outcome.output ?? "");
    if (run.cancelledAt !== undefined) {
      return { state: "exited", exitCode: null, signal: "SIGTERM", timedOut: false, output };
    }
    const elapsed = this.clock.now() - record.at;
    const after = outcome.after ?? 0;
    const timeout = record.spec.timeout > 0 ? record.spec.timeout : Number.POSITIVE_INFINITY;
    if (after > timeout && elapsed >= timeout) {
      return { state: "exited", exitCode: null, signal: "SIGTERM", timedOut: true, output };
    }
    if (elapsed < after) return { state: "running" };
    if (outcome.lost) return { state: "lost", output };
    return {
      state: "exited",
      exitCode: outcome.exitCode,
      signal: outcome.exitCode === null ? "SIGKILL" : null,
      timedOut: false,
      output,
    };
  }

  async cancel(handle: HookHandle): Promise<void> {
    this.cancels.push(handle.id);
    const run = this.runs.get(handle.id);
    if (!run || run.cancelledAt !== undefined) return;
    // A run that already ended keeps its result.
    if ((await this.poll(handle)).state === "running") run.cancelledAt = this.clock.now();
  }
}
