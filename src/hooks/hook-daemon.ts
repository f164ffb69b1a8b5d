import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { MaskingWriter, maskText } from "../config/mask.js";
import { isProcessGroupAlive } from "../core/process-alive.js";
import {
  type HookJob,
  type HookResult,
  MASK_ENV,
  maskFromEnv,
  readJson,
  signalGroup,
  writeJsonAtomic,
} from "./job.js";

/**
 * A hook's supervisor: `node dist/hooks/hook-daemon.js <job.json>`, started detached by the runner so
 * it outlives the engine. It runs the job's argv without a shell in a process group of its own, sends
 * the output to the log file with every secret masked, stops the group at the job's timeout (SIGTERM,
 * SIGKILL `killGraceMs` later) or when it gets SIGTERM itself (cancel), and writes the result file once
 * the group and its output are done. The command inherits this process's environment (the runner set
 * it; the job file holds none), minus the list of values to mask (`MASK_ENV`).
 */

const GROUP_POLL_MS = 50;
/** After SIGKILL, how long to wait for the group to vanish before writing the result anyway. */
const AFTER_KILL_WAIT_MS = 5_000;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Once the command's group is gone, how long to wait for the rest of its output. */
const OUTPUT_GRACE_MS = 1_000;
/** An unfinished line of output is written (masked) after this much quiet. */
const PARTIAL_LINE_MS = 250;

function loadJob(): HookJob {
  const file = process.argv[2];
  const loaded = file ? readJson<HookJob>(file) : undefined;
  // Without a readable job there is no log or result file to write to: the runner reports it as lost.
  if (!loaded) process.exit(2);
  return loaded;
}

const job = loadJob();
const secrets = maskFromEnv(process.env);
delete process.env[MASK_ENV];

const logFd = openSync(job.logFile, "a", 0o600);
const writeLog = (text: string) => {
  try {
    writeSync(logFd, text);
  } catch {
    // The log is best effort; the result file is what counts.
  }
};
/** One per stream, so a partial line of stdout and one of stderr are never mixed. */
const stdoutLog = new MaskingWriter(secrets, writeLog);
const stderrLog = new MaskingWriter(secrets, writeLog);
let outputClosed: Promise<void> = Promise.resolve();
let child: ChildProcess | undefined;
let group: number | undefined;
let stopping: "timeout" | "cancel" | "leftovers" | undefined;
let finishing = false;
let killTimer: NodeJS.Timeout | undefined;
let timeoutTimer: NodeJS.Timeout | undefined;

function note(message: string): void {
  writeLog(maskText(`tandem: ${message}\n`, secrets));
}

/** SIGTERM to the command's group now, SIGKILL after the grace period. */
function stopGroup(reason: "timeout" | "cancel" | "leftovers"): void {
  if (stopping) return;
  stopping = reason;
  signalGroup(group, "SIGTERM");
  killTimer = setTimeout(() => {
    if (group !== undefined && isProcessGroupAlive(group)) {
      note(`the hook's processes did not stop within ${job.killGraceMs}ms of SIGTERM; sending SIGKILL`);
      signalGroup(group, "SIGKILL");
    }
  }, job.killGraceMs);
}

/** Waits (bounded) until nothing of the command's group runs, then writes the result and exits. */
async function finish(exit: {
  exitCode: number | null;
  signal: string | null;
  error?: string;
}): Promise<void> {
  if (finishing) return;
  finishing = true;
  clearTimeout(timeoutTimer);
  if (group !== undefined && isProcessGroupAlive(group)) {
    if (!stopping) note("the hook exited; stopping the processes it left running");
    stopGroup("leftovers");
    const deadline = Date.now() + job.killGraceMs + AFTER_KILL_WAIT_MS;
    while (isProcessGroupAlive(group) && Date.now() < deadline) await delay(GROUP_POLL_MS);
    if (isProcessGroupAlive(group)) note(`process group ${group} is still there after SIGKILL`);
  }
  clearTimeout(killTimer);
  await Promise.race([outputClosed, delay(OUTPUT_GRACE_MS)]);
  stdoutLog.flush();
  stderrLog.flush();
  const result: HookResult = {
    exitCode: exit.exitCode,
    signal: exit.signal,
    timedOut: stopping === "timeout",
    cancelled: stopping === "cancel",
    finishedAt: Date.now(),
    ...(exit.error === undefined ? {} : { error: exit.error }),
  };
  try {
    writeJsonAtomic(job.resultFile, result);
  } finally {
    closeSync(logFd);
    process.exit(0);
  }
}

function startFailure(error: NodeJS.ErrnoException): string {
  const program = job.argv[0];
  if (error.code === "ENOENT") {
    return (
      `hook command not found: ${program} (it runs without a shell: install it, put it on PATH, ` +
      `or give its path; a relative path resolves against ${job.cwd})`
    );
  }
  if (error.code === "EACCES") return `hook command is not executable: ${program}`;
  return `hook command could not start: ${program}: ${error.message}`;
}

/** Node reports a missing cwd as ENOENT of the program: look first so the message names the right thing. */
function missingCwd(cwd: string): string | undefined {
  try {
    return statSync(cwd).isDirectory() ? undefined : `hook working directory is not a directory: ${cwd}`;
  } catch {
    return `hook working directory not found: ${cwd}`;
  }
}

function cancel(): void {
  if (finishing || stopping) return;
  note("hook cancelled; stopping it");
  if (group === undefined) {
    stopping = "cancel";
    void finish({ exitCode: null, signal: null, error: "cancelled before it started" });
    return;
  }
  stopGroup("cancel");
}

process.on("SIGTERM", cancel);
process.on("SIGINT", cancel);
process.on("SIGHUP", () => {});
process.on("uncaughtException", (error) => {
  note(`hook daemon failed: ${error.stack ?? error.message}`);
  signalGroup(group, "SIGKILL");
  void finish({ exitCode: null, signal: null, error: `hook daemon failed: ${error.message}` });
});

writeJsonAtomic(job.pidsFile, { daemon: process.pid, command: null });

const remaining = Math.min(MAX_TIMER_MS, Math.max(0, job.startedAt + job.timeoutMs - Date.now()));
timeoutTimer = setTimeout(() => {
  if (finishing || stopping) return;
  note(`hook timed out after ${job.timeoutMs}ms; stopping it`);
  stopGroup("timeout");
}, remaining);

const badCwd = missingCwd(job.cwd);
const program = job.argv[0];
if (badCwd || !program) {
  const message = badCwd ?? "hook has no command";
  note(message);
  void finish({ exitCode: null, signal: null, error: message });
} else {
  child = spawn(program, job.argv.slice(1), {
    cwd: job.cwd,
    env: process.env,
    shell: false,
    detached: true,
    // Through this process, not straight to the file, so secrets are masked before they are written.
    stdio: ["ignore", "pipe", "pipe"],
  });
  const spawned = child;
  outputClosed = new Promise((resolveClosed) => spawned.once("close", () => resolveClosed()));
  child.stdout?.on("data", (chunk: Buffer) => stdoutLog.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderrLog.push(chunk));
  setInterval(() => {
    stdoutLog.emitPartial();
    stderrLog.emitPartial();
  }, PARTIAL_LINE_MS).unref();
  if (child.pid !== undefined) {
    group = child.pid;
    writeJsonAtomic(job.pidsFile, { daemon: process.pid, command: child.pid });
  }
  child.once("error", (error: NodeJS.ErrnoException) => {
    const message = startFailure(error);
    note(message);
    void finish({ exitCode: null, signal: null, error: message });
  });
  child.once("exit", (exitCode, signal) => {
    void finish({ exitCode, signal });
  });
}
