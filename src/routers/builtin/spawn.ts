import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { compiledEntry } from "../../core/entry.js";
import { RouterError } from "../../core/errors.js";
import type { DaemonSettings } from "./daemon-settings.js";

export interface DaemonLaunch extends DaemonSettings {
  logFile: string;
  /** How long to wait for the ready line. */
  readyTimeoutMs: number;
}

export interface ReadyLine {
  pid: number;
  /** Only for a daemon started with a port (one service opened at start). */
  listenPort?: number;
  adminPort: number;
}

/**
 * Starts the router daemon detached (its own process group, outliving the engine), waits for its ready
 * line, then lets go of it so the engine can exit while the router keeps serving.
 */
export async function spawnRouterDaemon(launch: DaemonLaunch, signal: AbortSignal): Promise<ReadyLine> {
  mkdirSync(dirname(launch.logFile), { recursive: true });
  const logFd = openSync(launch.logFile, "a");
  const args = [
    compiledEntry(import.meta.url, "./daemon.js"),
    ...["--host", launch.host, "--name", launch.name],
    ...(launch.port === undefined ? [] : ["--port", String(launch.port)]),
    ...[
      "--hold-timeout",
      String(launch.holdTimeoutMs),
      "--hold-max-requests",
      String(launch.holdMaxRequests),
    ],
    ...(launch.previewPort === undefined ? [] : ["--preview-port", String(launch.previewPort)]),
  ];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ["ignore", "pipe", logFd],
    env: { ...process.env, TANDEM_ROUTER_TOKEN: launch.token },
  });
  closeSync(logFd);
  try {
    const line = await readFirstLine(child, launch.readyTimeoutMs, signal);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new RouterError(`router ${launch.name} printed an unexpected first line: ${line.slice(0, 200)}`);
    }
    if (parsed.ready !== true) throw startFailure(launch, parsed);
    return {
      pid: Number(parsed.pid),
      ...(parsed.listenPort === undefined ? {} : { listenPort: Number(parsed.listenPort) }),
      adminPort: Number(parsed.adminPort),
    };
  } catch (error) {
    if (child.exitCode === null) child.kill("SIGKILL");
    throw error;
  } finally {
    child.stdout?.destroy();
    child.unref();
  }
}

function startFailure(launch: DaemonLaunch, line: Record<string, unknown>): RouterError {
  const listenError = listenFailure(launch.name, launch.host, launch.port ?? 0, line.code);
  if (listenError) return listenError;
  return new RouterError(`router ${launch.name} failed to start: ${String(line.error)}`, {
    hint: `see ${launch.logFile}`,
  });
}

/** The error for a port the router could not open (`code` from the daemon), or undefined for other codes. */
export function listenFailure(
  name: string,
  host: string,
  port: number,
  code: unknown,
): RouterError | undefined {
  if (code === "EADDRINUSE") {
    return new RouterError(`router ${name} cannot listen on ${host}:${port}: the port is in use`, {
      hint: `stop whatever listens on port ${port}, or give the service another router.listen port`,
    });
  }
  if (code === "EACCES") {
    return new RouterError(`router ${name} may not listen on ${host}:${port} (permission denied)`, {
      hint: "use a port above 1023, or run with the needed privileges",
    });
  }
  return undefined;
}

function readFirstLine(
  child: ReturnType<typeof spawn>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
      signal.removeEventListener("abort", onAbort);
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        cleanup();
        resolve(buffered.slice(0, newline));
      }
    };
    const onExit = (code: number | null, signalName: string | null) => {
      cleanup();
      reject(
        new RouterError(`router daemon exited before it was ready (code ${code}, signal ${signalName})`),
      );
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new RouterError(`could not start the router daemon: ${error.message}`, { cause: error }));
    };
    const onAbort = () => {
      cleanup();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new RouterError(`router daemon did not report ready within ${timeoutMs}ms`));
    }, timeoutMs);
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Guards signals sent by pid against pid reuse: on Linux, the process must be a router daemon. */
export function looksLikeRouterDaemon(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("daemon.js");
  } catch {
    return process.platform !== "linux" && pidAlive(pid);
  }
}

/** Polls until the process is gone; true when it went within `timeoutMs`. Real time: the process is real. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await delay(25);
  }
  return true;
}
