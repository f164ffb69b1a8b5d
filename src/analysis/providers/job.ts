import { spawn } from "node:child_process";
import type { MeasureContext, Measurement, MetricProvider } from "../types.js";
import {
  checkPlaceholders,
  configError,
  DOLLAR_BRACES,
  durationOption,
  failure,
  measured,
  missingPlaceholderError,
  parseMetricNumber,
  placeholderValues,
  substitute,
  tail,
} from "./common.js";
import type { JobProviderConfig } from "./types.js";

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_CHARS = 1024 * 1024;

/**
 * A command whose output or exit status is the measurement: when the last non-empty line of stdout is
 * a number, that number is the value (whatever the exit status); otherwise the value is the exit
 * status (0 usually meaning success, so a threshold `== 0` judges it). A command that cannot start,
 * dies of a signal or outlives its timeout (its whole process group is killed) is an error.
 *
 * Without `shell`, the command is an argv list run directly: a placeholder's value stays inside its
 * argument, whatever characters it holds. With `shell: true`, one string runs under `sh -c`, with
 * the placeholder names as environment variables for the shell to expand. Either way the command gets
 * TANDEM_CANARY_VERSION, TANDEM_BASELINE_VERSION, TANDEM_SERVICE, TANDEM_ENVIRONMENT, TANDEM_PROJECT
 * and TANDEM_WINDOW_MS.
 */
export class JobProvider implements MetricProvider {
  readonly type = "job";
  private readonly timeoutMs: number;
  private readonly argv: string[];

  constructor(readonly config: JobProviderConfig) {
    this.timeoutMs = durationOption(config.timeout, DEFAULT_TIMEOUT_MS, "job provider timeout");
    if (config.shell) {
      const script = config.command;
      if (Array.isArray(script) && script.length !== 1) {
        throw configError("job provider: with shell: true, command is one string for sh -c");
      }
      const text = Array.isArray(script) ? script[0]! : script;
      if (!text.trim()) throw configError("job provider: command is empty");
      this.argv = ["/bin/sh", "-c", text];
    } else {
      if (typeof config.command === "string") {
        throw configError(
          "job provider: command is a string; give an argv list (e.g. [curl, -s, url]) or set shell: true",
        );
      }
      if (config.command.length === 0 || !config.command[0])
        throw configError("job provider: command is empty");
      for (const arg of config.command) checkPlaceholders(arg, DOLLAR_BRACES, "job provider command");
      this.argv = [...config.command];
    }
    if (config.cwd) checkPlaceholders(config.cwd, DOLLAR_BRACES, "job provider cwd");
  }

  async measure(context: MeasureContext): Promise<Measurement> {
    const values = placeholderValues(context);
    let argv = this.argv;
    if (!this.config.shell) {
      argv = [];
      for (const arg of this.argv) {
        const replaced = substitute(arg, DOLLAR_BRACES, values);
        if (!replaced.ok) return missingPlaceholderError(context, replaced.missing);
        argv.push(replaced.text);
      }
    }
    let cwd: string | undefined;
    if (this.config.cwd) {
      const replaced = substitute(this.config.cwd, DOLLAR_BRACES, values);
      if (!replaced.ok) return missingPlaceholderError(context, replaced.missing);
      cwd = replaced.text;
    }
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...(this.config.shell ? values : {}),
      TANDEM_CANARY_VERSION: context.canaryVersion,
      TANDEM_BASELINE_VERSION: context.baselineVersion ?? "",
      TANDEM_SERVICE: context.service,
      TANDEM_ENVIRONMENT: context.environment,
      TANDEM_PROJECT: context.project,
      TANDEM_WINDOW_MS: String(context.windowMs),
      ...this.config.env,
    };
    const what = this.config.shell ? `job sh -c ${JSON.stringify(argv[2])}` : `job ${argv.join(" ")}`;
    if (context.signal.aborted) return failure(context, `${what}: aborted`);
    const run = await runCommand(argv, { cwd, env, timeoutMs: this.timeoutMs, signal: context.signal });
    if ("startError" in run) return failure(context, `${what}: ${run.startError}`);
    if (run.stopped) return failure(context, `${what}: ${run.stopped}`);
    const lines = run.stdout.split("\n").filter((line) => line.trim() !== "");
    const printed = lines.length > 0 ? parseMetricNumber(lines[lines.length - 1]!) : undefined;
    if (printed !== undefined) return measured(context, printed);
    if (run.code !== null) return measured(context, run.code);
    const output = tail(run.stderr) || tail(run.stdout);
    return failure(context, `${what}: killed by ${run.signal}${output ? `: ${output}` : ""}`);
  }
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when Tandem killed it: `timed out after 5000ms` or `aborted`. */
  stopped?: string;
}

/** Runs argv in its own process group, which is killed whole at the timeout or on abort. */
function runCommand(
  argv: string[],
  options: { cwd?: string; env: Record<string, string | undefined>; timeoutMs: number; signal: AbortSignal },
): Promise<RunResult | { startError: string }> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let stopped: string | undefined;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      windowsHide: true,
    });
    const killGroup = (why: string) => {
      stopped ??= why;
      finishSoon();
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => killGroup(`timed out after ${options.timeoutMs}ms`), options.timeoutMs);
    const onAbort = () => killGroup("aborted");
    options.signal.addEventListener("abort", onAbort, { once: true });
    const cleanUp = () => {
      clearTimeout(timer);
      options.signal.removeEventListener("abort", onAbort);
    };
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (stdout.length < MAX_OUTPUT_CHARS) stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < MAX_OUTPUT_CHARS) stderr += chunk;
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      cleanUp();
      const reason =
        error.code === "ENOENT"
          ? `command not found (ENOENT)${options.cwd ? ` or no directory ${options.cwd}` : ""}`
          : error.code === "EACCES"
            ? "not executable (EACCES)"
            : error.message;
      resolve({ startError: reason });
    });
    // A killed command's output pipes close with its group; should a straggler outside the group hold
    // them, give up on its output shortly after the command itself has gone.
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finishSoon = () => {
      if (!exit || !stopped) return;
      const { code, signal } = exit;
      cleanUp();
      setTimeout(() => resolve({ code, signal, stdout, stderr, stopped }), 1000);
    };
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      finishSoon();
    });
    child.once("close", (code, signal) => {
      cleanUp();
      resolve({ code, signal, stdout, stderr, stopped });
    });
  });
}
