import type { HookHandle, HookSpec } from "../core/types.js";

/** What a hook needs to start: its spec, where it runs, and what it is told about the release. */
export interface HookStart {
  spec: HookSpec;
  /** Unique and stable for this run (e.g. `<release>-<service>-<step>`); names its log and result files. */
  key: string;
  /** `${name}` placeholders replaced in argv (and the shell string): version, stableVersion, environment, service, release. */
  vars: Record<string, string>;
  /** Extra environment variables (TANDEM_RELEASE, TANDEM_ENVIRONMENT, TANDEM_SERVICE, TANDEM_VERSION...). */
  env: Record<string, string>;
}

export type HookPoll =
  | { state: "running" }
  /** The command ended; `exitCode` 0 is success. `timedOut` when the runner killed it at its timeout. */
  | { state: "exited"; exitCode: number | null; signal: string | null; timedOut: boolean; output: string }
  /** The runner died without a result (machine restart, kill -9): the hook's outcome is unknown. */
  | { state: "lost"; output: string };

/**
 * Runs hook commands as detached processes whose result survives the engine: a restarted engine finds
 * a running hook again from its handle (stored in the release state) instead of running it twice.
 */
export interface HookRunner {
  start(run: HookStart, signal: AbortSignal): Promise<HookHandle>;
  poll(handle: HookHandle): Promise<HookPoll>;
  /** Kills the hook's process group (abort, or the engine's own deadline). Idempotent. */
  cancel(handle: HookHandle): Promise<void>;
}

export interface HookRunnerContext {
  /** Logs and result files go under `<stateDir>/hooks`. */
  stateDir: string;
  /** A hook's relative cwd resolves against this (the config file's directory). */
  baseDir: string;
}

export type HookRunnerFactory = (context: HookRunnerContext) => HookRunner;
