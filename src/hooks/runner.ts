import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { knownSecrets, redactSecrets } from "../config/redact.js";
import { compiledEntry } from "../core/entry.js";
import { isProcessAlive, isProcessGroupAlive } from "../core/process-alive.js";
import type { HookHandle, HookSpec } from "../core/types.js";
import {
  filesOfHandle,
  type HookFiles,
  type HookJob,
  type HookPids,
  type HookResult,
  hookFiles,
  isHookDaemon,
  MASK_ENV,
  readJson,
  signalGroup,
  signalProcess,
  writeJsonAtomic,
} from "./job.js";
import type { HookPoll, HookRunner, HookRunnerContext, HookStart } from "./types.js";

export interface ProcessHookRunnerOptions {
  /** After SIGTERM (timeout or cancel), SIGKILL follows this much later. Default 5s. */
  killGraceMs?: number;
}

/** Used when a spec carries no usable timeout. */
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_KILL_GRACE_MS = 5_000;
/** How long a job file without a daemon may be young before `start` calls it stale and starts afresh. */
const STARTUP_WAIT_MS = 3_000;
/** `cancel` waits this much beyond the kill grace for the daemon to write its result, then SIGKILLs. */
const CANCEL_EXTRA_MS = 1_000;
const AFTER_KILL_WAIT_MS = 2_000;
const POLL_MS = 25;
const OUTPUT_LINES = 20;
const OUTPUT_CHARS = 2_000;
/** Bytes read from the end of the log for the output tail. */
const OUTPUT_WINDOW = 8_192;
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const SHELL_VAR_PREFIX = "TANDEM_HOOK_VAR_";

/**
 * Runs each hook under a detached daemon (`hook-daemon.ts`) so it outlives the engine. Files live under
 * `<stateDir>/hooks/<key>.*` (see `job.ts`); the handle names them, so any runner instance (a restarted
 * engine) can poll or cancel a run another instance started, and `start` with a key that already has a
 * run returns that run instead of running the hook twice.
 *
 * Placeholders `${version}`, `${stableVersion}`, `${environment}`, `${service}`, `${release}` (any name
 * in `run.vars`) are replaced in every argv element and in cwd; a `${name}` not in `run.vars` is left as
 * written. With `shell: true` the placeholders in the script become references to environment variables
 * (`${TANDEM_HOOK_VAR_version}`, set for the script), so a value is never parsed as shell code; further
 * elements of `command` become the script's `$1`, `$2`...
 *
 * Secrets never reach a file or an argv: the hook's `env` (where `${secret:}` values go) is passed
 * through the daemon's environment, and the daemon masks known secrets in the log as it writes it.
 */
export class ProcessHookRunner implements HookRunner {
  private readonly hooksDir: string;
  private readonly killGraceMs: number;

  constructor(
    private readonly context: HookRunnerContext,
    options: ProcessHookRunnerOptions = {},
  ) {
    this.hooksDir = join(context.stateDir, "hooks");
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  async start(run: HookStart, signal: AbortSignal): Promise<HookHandle> {
    signal.throwIfAborted();
    mkdirSync(this.hooksDir, { recursive: true, mode: 0o700 });
    const files = hookFiles(this.hooksDir, run.key);
    for (;;) {
      const existing = await this.existingRun(files, run.key, signal);
      if (existing) return existing;
      const job = this.job(run, files);
      try {
        // The exclusive create claims the key: a concurrent start finds this job and joins it.
        writeFileSync(files.job, JSON.stringify(job), { flag: "wx", mode: 0o600 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw error;
      }
      return this.launch(job, run, files);
    }
  }

  async poll(handle: HookHandle): Promise<HookPoll> {
    const files = filesOfHandle(handle);
    const result = readJson<HookResult>(files.result);
    if (result) return exited(result, files.log);
    if (isHookDaemon(this.daemonPid(handle, files), files.job)) return { state: "running" };
    // The daemon may have written its result and exited between the two looks.
    const late = readJson<HookResult>(files.result);
    if (late) return exited(late, files.log);
    return { state: "lost", output: hookOutput(files.log) };
  }

  async cancel(handle: HookHandle): Promise<void> {
    const files = filesOfHandle(handle);
    if (existsSync(files.result)) return;
    const daemon = this.daemonPid(handle, files);
    const command = () => readJson<HookPids>(files.pids)?.command ?? null;
    // Once known to be this hook's daemon, the pid counts until the process is gone: while it exits, its
    // cmdline is already empty, and it would look gone before it has finished.
    const ours = isHookDaemon(daemon, files.job);
    const gone = () => !(ours && isProcessAlive(daemon)) && !groupAlive(command());
    // The daemon stops the command's group itself and records the cancel; without it, signal the group.
    if (ours) signalProcess(daemon, "SIGTERM");
    else signalGroup(command(), "SIGTERM");
    if (!(await waitUntil(gone, this.killGraceMs + CANCEL_EXTRA_MS))) {
      if (isHookDaemon(daemon, files.job)) signalProcess(daemon, "SIGKILL");
      signalGroup(command(), "SIGKILL");
      await waitUntil(gone, AFTER_KILL_WAIT_MS);
    }
    if (!existsSync(files.result) && !isHookDaemon(daemon, files.job)) {
      const result: HookResult = {
        exitCode: null,
        signal: "SIGKILL",
        timedOut: false,
        cancelled: true,
        finishedAt: Date.now(),
      };
      writeJsonAtomic(files.result, result);
    }
  }

  /** The handle's daemon pid, or the one its daemon recorded when the handle has none. */
  private daemonPid(handle: HookHandle, files: HookFiles): number {
    return handle.pid > 0 ? handle.pid : (readJson<HookPids>(files.pids)?.daemon ?? 0);
  }

  /**
   * The run a job file already names, or undefined when there is none (or only a stale job whose daemon
   * never started the command: then it is removed and the hook may start).
   */
  private async existingRun(
    files: HookFiles,
    key: string,
    signal: AbortSignal,
  ): Promise<HookHandle | undefined> {
    for (;;) {
      if (!existsSync(files.job)) return undefined;
      const job = readJson<HookJob>(files.job);
      const pids = readJson<HookPids>(files.pids);
      // The daemon writes its pids before it spawns the command, and before any result.
      if (job && (pids || existsSync(files.result))) return handleOf(key, job, pids?.daemon ?? 0);
      const startedAt = job?.startedAt ?? mtime(files.job);
      if (Date.now() - startedAt >= STARTUP_WAIT_MS) {
        rmSync(files.job, { force: true });
        return undefined;
      }
      await delay(POLL_MS, undefined, { signal });
    }
  }

  private job(run: HookStart, files: HookFiles): HookJob {
    const { spec, vars } = run;
    const cwd = resolve(this.context.baseDir, substitute(spec.cwd ?? ".", vars));
    return {
      name: spec.name,
      argv: spec.shell ? shellArgv(spec, vars) : spec.command.map((arg) => substitute(arg, vars)),
      cwd,
      timeoutMs: Number.isFinite(spec.timeout) && spec.timeout > 0 ? spec.timeout : DEFAULT_TIMEOUT_MS,
      killGraceMs: this.killGraceMs,
      startedAt: Date.now(),
      logFile: files.log,
      resultFile: files.result,
      pidsFile: files.pids,
    };
  }

  private async launch(job: HookJob, run: HookStart, files: HookFiles): Promise<HookHandle> {
    // Leftovers of an earlier attempt whose daemon never ran the command.
    rmSync(files.result, { force: true });
    rmSync(files.pids, { force: true });
    writeFileSync(files.log, "", { mode: 0o600 });
    // The hook's environment, secrets included, goes to the daemon's environment and from there to the
    // command; the job file on disk holds none of it. The daemon masks every known secret in the log.
    const env = {
      ...process.env,
      ...run.spec.env,
      ...run.env,
      ...(run.spec.shell ? shellEnv(run.vars) : {}),
      [MASK_ENV]: JSON.stringify(knownSecrets()),
    };
    try {
      const daemon = spawn(
        process.execPath,
        [compiledEntry(import.meta.url, "./hook-daemon.js"), files.job],
        {
          cwd: dirname(files.job),
          env,
          detached: true,
          stdio: "ignore",
        },
      );
      const pid = await new Promise<number>((resolvePid, reject) => {
        daemon.once("spawn", () => resolvePid(daemon.pid ?? 0));
        daemon.once("error", reject);
      });
      daemon.removeAllListeners("error");
      daemon.on("error", () => {});
      daemon.unref();
      return handleOf(run.key, job, pid);
    } catch (error) {
      // Nothing runs: give the key back so a later start may try again.
      rmSync(files.job, { force: true });
      throw error;
    }
  }
}

function handleOf(key: string, job: HookJob, pid: number): HookHandle {
  return { id: key, pid, resultFile: job.resultFile, logFile: job.logFile, startedAt: job.startedAt };
}

function exited(result: HookResult, logFile: string): HookPoll {
  return {
    state: "exited",
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    output: hookOutput(logFile),
  };
}

/** Replaces `${name}` for every name in `vars`; other `${...}` stay as written. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(vars, name) ? vars[name]! : whole,
  );
}

/** `sh -c script name args...`, the script's placeholders turned into environment variable references. */
function shellArgv(spec: HookSpec, vars: Record<string, string>): string[] {
  const [script = "", ...args] = spec.command;
  const rewritten = script.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(vars, name) ? `\${${SHELL_VAR_PREFIX}${name}}` : whole,
  );
  return ["/bin/sh", "-c", rewritten, spec.name || "hook", ...args.map((arg) => substitute(arg, vars))];
}

function shellEnv(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [`${SHELL_VAR_PREFIX}${name}`, value]),
  );
}

/**
 * The end of a hook's log: its last 20 non-empty lines, at most 2,000 characters, secrets redacted.
 * (Not `targets/log-tail.ts`: this keeps line breaks, and drops the cut first line of the window before
 * redacting, so half a secret at the window's edge is never shown.)
 */
export function hookOutput(logFile: string): string {
  let text: string;
  try {
    const size = statSync(logFile).size;
    const length = Math.min(size, OUTPUT_WINDOW);
    const buffer = Buffer.alloc(length);
    const fd = openSync(logFile, "r");
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    text = buffer.toString("utf8");
    if (size > length) text = text.slice(text.indexOf("\n") + 1);
  } catch {
    return "";
  }
  const lines = redactSecrets(text)
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "");
  const tail = lines.slice(-OUTPUT_LINES).join("\n");
  return tail.length > OUTPUT_CHARS ? `…${tail.slice(-(OUTPUT_CHARS - 1))}` : tail;
}

function groupAlive(groupId: number | null): boolean {
  return groupId !== null && groupId > 1 && isProcessGroupAlive(groupId);
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Real-time polling (the processes are real), bounded by `timeoutMs`; true once `done()` holds. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await delay(POLL_MS);
  }
  return true;
}
