import { interpolateEnvString } from "../config/interpolate.js";
import { redactSecrets } from "../config/redact.js";
import { formatDuration } from "../core/duration.js";
import { TandemError } from "../core/errors.js";
import type { HookRun, HookSpec } from "../core/types.js";
import type { PassContext } from "./pass-context.js";

/** Extra time past a hook's own timeout before the engine gives up on its runner. */
export const HOOK_GRACE_MS = 30_000;

export type HookProgress =
  | { state: "running"; run: HookRun }
  | { state: "succeeded"; run: HookRun }
  | { state: "failed"; run: HookRun; reason: string };

export interface HookTarget {
  /** Unique per run: names the hook's files, so a restarted engine finds the same run. */
  key: string;
  service?: string;
  vars: Record<string, string>;
}

/**
 * Moves one hook along: start it (detached, so it outlives this pass and this engine), or look at it.
 * Never waits for the command to finish.
 */
export async function driveHook(
  spec: HookSpec,
  current: HookRun | undefined,
  target: HookTarget,
  ctx: PassContext,
): Promise<HookProgress> {
  const label = `${target.service ? `${target.service}: ` : ""}hook ${spec.name}`;
  if (!current?.handle) {
    const env = Object.fromEntries(
      Object.entries(target.vars).map(([name, value]) => [`TANDEM_${toEnvName(name)}`, value]),
    );
    let resolved: HookSpec;
    try {
      resolved = withSecrets(spec, ctx.env);
    } catch (error) {
      // A variable set when the release was created is gone (an engine started without it).
      if (!(error instanceof TandemError)) throw error;
      const run = { spec, startedAt: ctx.now };
      return fail(run, `${label} cannot start: ${error.message}`, null, "", target, ctx);
    }
    const handle = await ctx.hooks.start(
      { spec: resolved, key: target.key, vars: target.vars, env },
      ctx.signal,
    );
    ctx.emit({
      type: "hook.started",
      service: target.service,
      message: `${label} started: ${spec.shell ? spec.command[0] : spec.command.join(" ")} (timeout ${formatDuration(spec.timeout)})`,
      data: { hook: spec.name, key: target.key },
    });
    return { state: "running", run: { spec, handle, startedAt: ctx.now } };
  }
  const run = current;
  const handle = current.handle;
  const result = await ctx.hooks.poll(handle);
  if (result.state === "running") {
    if (ctx.now <= run.startedAt + spec.timeout + HOOK_GRACE_MS) return { state: "running", run };
    await ctx.hooks.cancel(handle);
    return fail(run, `${label} did not finish within ${formatDuration(spec.timeout)}`, null, "", target, ctx);
  }
  if (result.state === "lost") {
    return fail(run, `${label} ended without a result (its runner died)`, null, result.output, target, ctx);
  }
  if (result.exitCode === 0 && !result.timedOut) {
    ctx.emit({
      type: "hook.succeeded",
      service: target.service,
      message: `${label} succeeded${result.output ? `: ${lastLine(result.output)}` : ""}`,
      data: { hook: spec.name, exitCode: 0, output: redactSecrets(result.output) },
    });
    return {
      state: "succeeded",
      run: {
        ...run,
        outcome: "succeeded",
        exitCode: 0,
        output: redactSecrets(result.output),
        finishedAt: ctx.now,
      },
    };
  }
  const why = result.timedOut
    ? `timed out after ${formatDuration(spec.timeout)}`
    : result.exitCode === null
      ? `did not run to completion${result.signal ? ` (${result.signal})` : ""}`
      : `exited with ${result.exitCode}`;
  return fail(run, `${label} ${why}`, result.exitCode, result.output, target, ctx);
}

function fail(
  run: HookRun,
  reason: string,
  exitCode: number | null,
  output: string,
  target: HookTarget,
  ctx: PassContext,
): HookProgress {
  const shown = output ? `${reason}: ${lastLine(output)}` : reason;
  ctx.emit({
    type: "hook.failed",
    severity: "error",
    service: target.service,
    message: shown,
    data: { hook: run.spec.name, exitCode, output: redactSecrets(output) },
  });
  return {
    state: "failed",
    run: { ...run, outcome: "failed", exitCode, output: redactSecrets(output), finishedAt: ctx.now },
    reason: redactSecrets(shown),
  };
}

function lastLine(output: string): string {
  const lines = output.trim().split("\n");
  return (lines.at(-1) ?? "").slice(0, 300);
}

function toEnvName(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * The stored spec holds `${secret:X}` placeholders, never secrets (see `restoreEnvPlaceholders`): the
 * hook's environment gets the values. A known secret in its command line or cwd (a credential's
 * variable reused there) is refused: argv shows in `ps` and the job file is on disk.
 */
function withSecrets(spec: HookSpec, env: NodeJS.ProcessEnv): HookSpec {
  const resolve = (text: string) => interpolateEnvString(text, env);
  const resolved: HookSpec = {
    ...spec,
    command: spec.command.map(resolve),
    ...(spec.env
      ? { env: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, resolve(v)])) }
      : {}),
    ...(spec.cwd ? { cwd: resolve(spec.cwd) } : {}),
  };
  const commandLine = [...resolved.command, resolved.cwd ?? ""];
  if (commandLine.some((text) => redactSecrets(text) !== text)) {
    throw new TandemError(
      "TANDEM_ERR_CONFIG",
      "a secret value is part of its command line or cwd (it would show in `ps` and on disk); pass " +
        `it through the hook's env (env: { NAME: "\${secret:NAME}" }) and read $NAME in the program`,
    );
  }
  return resolved;
}
