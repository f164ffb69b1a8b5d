import { type ChildProcess, spawn } from "node:child_process";
import { assertCliBuilt, CLI_ENTRY } from "./paths.js";

export interface CliResult {
  /** Exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Kill the process and fail after this long. Default 60s. */
  timeoutMs?: number;
  /** Added to the environment the process inherits. */
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user and group (the test runs as root and needs an ordinary user), e.g. nobody. */
  user?: { uid: number; gid: number };
}

/** A `tandem` process running in the background: output is collected as it comes (pipes never fill). */
export class CliProcess {
  readonly child: ChildProcess;
  readonly result: Promise<CliResult>;
  private out = "";
  private err = "";
  private exited = false;

  constructor(
    readonly args: string[],
    options: CliOptions = {},
  ) {
    assertCliBuilt();
    const timeoutMs = options.timeoutMs ?? 60_000;
    this.child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      cwd: options.cwd,
      uid: options.user?.uid,
      gid: options.user?.gid,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.out += chunk;
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.err += chunk;
    });
    this.result = new Promise<CliResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(
          new Error(
            `tandem ${args.join(" ")} did not exit within ${timeoutMs}ms\nstdout:\n${this.out}\nstderr:\n${this.err}`,
          ),
        );
      }, timeoutMs);
      this.child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      // "close" comes after the process exited and its pipes were drained, so the output is complete.
      this.child.once("close", (code, signal) => {
        clearTimeout(timer);
        this.exited = true;
        resolve({ code, signal, stdout: this.out, stderr: this.err });
      });
    });
    // A rejected result nobody awaits yet must not crash the run; awaiting it still throws.
    this.result.catch(() => undefined);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`tandem ${this.args.join(" ")} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Output so far. */
  output(): { stdout: string; stderr: string } {
    return { stdout: this.out, stderr: this.err };
  }

  /** Sends `signal` and waits until the process has exited (and been reaped). */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<CliResult> {
    if (this.running) this.child.kill(signal);
    return this.result;
  }
}

/** Runs `tandem ARGS...` to completion. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new CliProcess(args, options).result;
}

/** A readable summary of a CLI run, for assertion messages. */
export function describeRun(args: string[], result: CliResult): string {
  return `tandem ${args.join(" ")} -> code ${result.code}${result.signal ? ` (${result.signal})` : ""}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}
