import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "../core/process-alive.js";
import type { HookHandle } from "../core/types.js";

export { MASK_ENV, maskFromEnv } from "../config/mask.js";

/**
 * The files a hook run leaves under `<stateDir>/hooks`, shared by the runner (in the engine) and the
 * hook daemon (detached). Everything here is plain JSON on disk so a restarted engine finds a run again.
 *
 * - `<key>.job.json`: what to run (written by the runner; claims the key). No environment and no secret:
 *   the daemon inherits the hook's environment (secrets included) from the runner, never from a file,
 *   and the configuration refuses a `${secret:}` in a command line or cwd, so argv holds none either.
 * - `<key>.pids.json`: the daemon's pid and, once spawned, the command's (leader of its own process group).
 * - `<key>.log`: the command's stdout and stderr, secrets masked by the daemon as they are written, and
 *   `tandem:` notes from the daemon.
 * - `<key>.result.json`: written once, atomically, when the command and its process group are gone.
 */

export interface HookJob {
  name: string;
  /** The program and its arguments, placeholders already replaced; run without a shell. */
  argv: string[];
  cwd: string;
  timeoutMs: number;
  /** After SIGTERM (timeout, cancel), the daemon sends SIGKILL to the group this much later. */
  killGraceMs: number;
  /** Epoch ms; the timeout counts from here. */
  startedAt: number;
  logFile: string;
  resultFile: string;
  pidsFile: string;
}

export interface HookResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Stopped by `cancel`. */
  cancelled: boolean;
  finishedAt: number;
  /** Why the command could not run at all (not found, bad cwd). */
  error?: string;
}

export interface HookPids {
  daemon: number;
  /** Leader of the command's process group; null until spawned (or when it could not be). */
  command: number | null;
}

export interface HookFiles {
  job: string;
  pids: string;
  log: string;
  result: string;
}

const RESULT_SUFFIX = ".result.json";

/** A key made safe for a file name; a key that had to change gets a short hash so two keys never collide. */
export function fileStem(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120);
  if (safe === key && !key.startsWith(".")) return key;
  return `${safe}-${createHash("sha256").update(key).digest("hex").slice(0, 10)}`;
}

export function hookFiles(hooksDir: string, key: string): HookFiles {
  return filesFromStem(join(hooksDir, fileStem(key)));
}

/** The files of a started run, from its handle alone (a restarted engine has nothing else). */
export function filesOfHandle(handle: HookHandle): HookFiles {
  const stem = handle.resultFile.endsWith(RESULT_SUFFIX)
    ? handle.resultFile.slice(0, -RESULT_SUFFIX.length)
    : handle.resultFile;
  return { ...filesFromStem(stem), log: handle.logFile, result: handle.resultFile };
}

function filesFromStem(stem: string): HookFiles {
  return {
    job: `${stem}.job.json`,
    pids: `${stem}.pids.json`,
    log: `${stem}.log`,
    result: `${stem}${RESULT_SUFFIX}`,
  };
}

/** Writes a temporary file, flushes it, then renames it over `file`: readers see all of it or none. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/** The parsed file, or undefined when it is missing or not (yet) complete JSON. */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The pids a hook's daemon recorded (the command's is useful to look at or signal its group). */
export function readHookPids(handle: HookHandle): HookPids | undefined {
  return readJson<HookPids>(filesOfHandle(handle).pids);
}

/**
 * Whether `pid` is the daemon running `jobFile`: alive (zombies excluded) and, where /proc exists, with
 * the job file on its command line, so a recycled pid is never mistaken for it.
 */
export function isHookDaemon(pid: number, jobFile: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(jobFile);
  } catch {
    return process.platform !== "linux";
  }
}

/** Sends `signal` to a whole process group; false when there is none (never signals group 0 or 1). */
export function signalGroup(groupId: number | null | undefined, signal: NodeJS.Signals): boolean {
  if (!groupId || !Number.isInteger(groupId) || groupId <= 1) return false;
  try {
    process.kill(-groupId, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to one process; false when it is gone (never signals pid 0 or 1). */
export function signalProcess(pid: number | null | undefined, signal: NodeJS.Signals): boolean {
  if (!pid || !Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
