import { ProcessHookRunner } from "./runner.js";
import type { HookRunnerFactory } from "./types.js";

export { type HookPids, type HookResult, readHookPids } from "./job.js";
export { hookOutput, ProcessHookRunner, type ProcessHookRunnerOptions } from "./runner.js";
export type { HookPoll, HookRunner, HookRunnerContext, HookRunnerFactory, HookStart } from "./types.js";

/** The hook runner Tandem uses: commands under detached daemons, results under `<stateDir>/hooks`. */
export const createHookRunner: HookRunnerFactory = (context) => new ProcessHookRunner(context);
