import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { MaskingWriter } from "../config/mask.js";
import { knownSecrets, redactSecrets } from "../config/redact.js";
import { formatDuration } from "../core/duration.js";

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;
/** Time between SIGTERM and SIGKILL when a command times out or is cancelled. */
const DEFAULT_KILL_GRACE_MS = 5_000;
/** Output kept in memory (the end of it). */
const MAX_OUTPUT_BYTES = 64 * 1024;
/** What a result shows of that output. */
const TAIL_LINES = 20;
const TAIL_CHARS = 2_000;
/** After the command exited, how long to wait for pipes a background child may still hold open. */
const PIPE_GRACE_MS = 1_000;

export interface CommandSpec {
  /** `deploy`, `status`… (for messages). */
  action: string;
  /** argv; with `shell`, `[script, ...args]` (args become $1, $2…). */
  command: string[];
  shell: boolean;
  vars: Record<string, string>;
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  killGraceMs?: number;
  /** Everything the command prints is appended here too, known secrets masked. */
  logFile?: string;
  /** Called with the process id once the command runs. */
  onSpawn?(pid: number): void;
}

export interface CommandResult {
  ok: boolean;
  /** Exit code; null when a signal ended it or it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** `deploy.sh exited with 1: no such image` — for people, secrets redacted. */
  message: string;
  /** The last lines it printed (stdout and stderr interleaved), secrets redacted. */
  output: string;
}

/** The environment variable holding a placeholder's value: `stableVersion` -> TANDEM_STABLE_VERSION. */
export function envName(placeholder: string): string {
  return `TANDEM_${placeholder.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/** Replaces each `${name}` whose name is in `vars`; other `${...}` stay as written. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(vars, name) ? vars[name]! : whole,
  );
}

/**
 * The argv to spawn. Without a shell each placeholder is replaced inside its argument, which stays one
 * argument whatever the value holds. With `shell: true` the script's placeholders become references to
 * the environment variables (`${TANDEM_VERSION}`), so a value is never parsed as shell code.
 */
export function commandArgv(spec: Pick<CommandSpec, "command" | "shell" | "vars" | "action">): string[] {
  if (!spec.shell) return spec.command.map((arg) => substitute(arg, spec.vars));
  const [script = "", ...args] = spec.command;
  const rewritten = script.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(spec.vars, name) ? `\${${envName(name)}}` : whole,
  );
  return ["/bin/sh", "-c", rewritten, spec.action, ...args.map((arg) => substitute(arg, spec.vars))];
}

/** The program's name for messages: `deploy.sh` for `[./deploy.sh, 2.0]` and for `"./deploy.sh $X"`. */
export function programName(spec: Pick<CommandSpec, "command" | "shell">): string {
  const first = spec.shell ? (spec.command[0] ?? "").trim().split(/\s+/)[0] : spec.command[0];
  return path.basename(first || "command");
}

/**
 * Runs one command to its end: in its own process group, with a timeout (SIGTERM to the group, then
 * SIGKILL after the grace period), cancelled the same way by `signal`. Never throws: a command that
 * cannot start is a failed result. Real time: the command is a real process.
 */
export function runCommand(spec: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
  const argv = commandArgv(spec);
  const program = programName(spec);
  const startedAt = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  for (const [name, value] of Object.entries(spec.vars)) env[envName(name)] = value;
  let output = "";
  const secrets = knownSecrets();
  const appendLog = (text: string) => {
    if (!spec.logFile) return;
    try {
      appendFileSync(spec.logFile, text);
    } catch {
      // A log that cannot be written never fails the command.
    }
  };
  // One per stream, so a partial line of stdout and one of stderr are never mixed.
  const logs = [new MaskingWriter(secrets, appendLog), new MaskingWriter(secrets, appendLog)] as const;
  const collect = (chunk: Buffer, log: MaskingWriter) => {
    output += chunk.toString("utf8");
    if (output.length > MAX_OUTPUT_BYTES) output = output.slice(-MAX_OUTPUT_BYTES);
    log.push(chunk);
  };
  if (argv.some((arg) => redactSecrets(arg) !== arg)) {
    // The configuration refuses `${secret:}` in a command; this catches a credential's value reused there.
    return Promise.resolve({
      ok: false,
      code: null,
      signal: null,
      timedOut: false,
      durationMs: 0,
      message:
        `${program} was not started: a secret value is part of its command line (it would show in ` +
        "`ps`); pass it through the target's env and read $NAME in the command",
      output: "",
    });
  }

  return new Promise<CommandResult>((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (code: number | null, exitSignal: NodeJS.Signals | null, startError?: Error) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      for (const log of logs) log.flush();
      const tail = outputTail(output);
      const lastLine = tail.split("\n").at(-1) ?? "";
      const durationMs = Date.now() - startedAt;
      let message: string;
      if (startError) message = `${program} could not start: ${startError.message}`;
      else if (timedOut) message = `${program} timed out after ${formatDuration(spec.timeoutMs)}`;
      else if (cancelled) message = `${program} was cancelled`;
      else if (code !== null) message = `${program} exited with ${code}`;
      else message = `${program} was killed by ${exitSignal}`;
      if (lastLine && !startError) message += `: ${lastLine}`;
      resolve({
        ok: code === 0 && !timedOut && !cancelled && !startError,
        code,
        signal: exitSignal,
        timedOut,
        durationMs,
        message: redactSecrets(message),
        output: tail,
      });
    };

    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: spec.cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const kill = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          // Already gone.
        }
      }
    };
    const terminate = () => {
      kill("SIGTERM");
      const grace = setTimeout(() => kill("SIGKILL"), spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      grace.unref();
      timers.push(grace);
    };
    const onAbort = () => {
      cancelled = true;
      terminate();
    };

    child.stdout.on("data", (chunk: Buffer) => collect(chunk, logs[0]));
    child.stderr.on("data", (chunk: Buffer) => collect(chunk, logs[1]));
    child.once("error", (error) => finish(null, null, error));
    child.once("spawn", () => {
      if (child.pid !== undefined) spec.onSpawn?.(child.pid);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
      const deadline = setTimeout(() => {
        timedOut = true;
        terminate();
      }, spec.timeoutMs);
      timers.push(deadline);
    });
    child.once("exit", (code, exitSignal) => {
      // A background child may keep the pipes open: do not wait for them forever.
      const grace = setTimeout(() => finish(code, exitSignal), PIPE_GRACE_MS);
      timers.push(grace);
      child.once("close", () => finish(code, exitSignal));
    });
  });
}

/** The last lines of `text`, at most TAIL_CHARS, secrets redacted (a cut first line is dropped first). */
export function outputTail(text: string): string {
  let window = text;
  if (window.length > TAIL_CHARS) {
    window = window.slice(-TAIL_CHARS);
    const newline = window.indexOf("\n");
    window = newline >= 0 ? window.slice(newline + 1) : window;
  }
  const lines = window
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "");
  return redactSecrets(lines.slice(-TAIL_LINES).join("\n"));
}
