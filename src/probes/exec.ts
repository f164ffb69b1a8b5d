import { type ExecFileException, execFile } from "node:child_process";
import type { ProbeConfig } from "../core/config.js";
import type { Endpoint } from "../core/types.js";
import type { Probe, ProbeResult } from "./types.js";

export type ExecProbeConfig = Extract<ProbeConfig, { type: "exec" }>;

const OUTPUT_TAIL_CHARS = 300;
const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Runs a command without a shell; healthy when it exits 0. `${host}`, `${port}` and `${version}` are
 * replaced in each argument (never interpreted by a shell), and the command gets ENDPOINT_HOST,
 * ENDPOINT_PORT and TANDEM_VERSION in its environment. A command that outlives the timeout is killed.
 */
export class ExecProbe implements Probe {
  readonly name: string;

  constructor(readonly config: ExecProbeConfig) {
    this.name = config.name;
  }

  check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const values: Record<string, string> = {
      host: endpoint.host,
      port: String(endpoint.port),
      version: endpoint.version,
    };
    const argv = this.config.command.map((arg) =>
      arg.replace(/\$\{(host|port|version)\}/g, (_placeholder, name: string) => values[name] ?? ""),
    );
    const prefix = `exec ${argv.join(" ")} ->`;
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    if (argv.length === 0 || !argv[0]) {
      return Promise.resolve({ ok: false, message: "exec probe has an empty command", durationMs: 0 });
    }
    if (signal.aborted) return Promise.resolve({ ok: false, message: `${prefix} aborted`, durationMs: 0 });

    return new Promise<ProbeResult>((resolve) => {
      execFile(
        argv[0]!,
        argv.slice(1),
        {
          env: {
            ...process.env,
            ...this.config.env,
            ENDPOINT_HOST: endpoint.host,
            ENDPOINT_PORT: String(endpoint.port),
            TANDEM_VERSION: endpoint.version,
          },
          timeout: this.config.timeout,
          killSignal: "SIGKILL",
          signal,
          maxBuffer: MAX_OUTPUT_BYTES,
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          if (!error) return resolve({ ok: true, message: `${prefix} exit 0`, durationMs: elapsed() });
          resolve({
            ok: false,
            message: `${prefix} ${this.describeFailure(error, stderr, stdout)}`,
            durationMs: elapsed(),
          });
        },
      );
    });
  }

  private describeFailure(error: ExecFileException, stderr: string, stdout: string): string {
    const output = outputTail(stderr) || outputTail(stdout);
    const withOutput = (what: string) => (output ? `${what}: ${output}` : what);
    if (error.code === "ENOENT") return `command not found (ENOENT)`;
    if (error.code === "EACCES") return `not executable (EACCES)`;
    if (error.name === "AbortError" || error.code === "ABORT_ERR") return "aborted";
    if (error.killed && typeof error.code !== "number") {
      return withOutput(`timed out after ${this.config.timeout}ms`);
    }
    if (typeof error.code === "number") return withOutput(`exit ${error.code}`);
    if (error.signal) return withOutput(`killed by ${error.signal}`);
    return withOutput(error.message);
  }
}

/** The last few hundred characters of a command's output, on one line. */
function outputTail(output: string): string {
  const trimmed = output.trim();
  const tail = trimmed.length > OUTPUT_TAIL_CHARS ? `…${trimmed.slice(-OUTPUT_TAIL_CHARS)}` : trimmed;
  return tail.replace(/\s*\n\s*/g, " | ");
}
