import { readFileSync } from "node:fs";
import { pidAlive, waitForExit } from "../builtin/spawn.js";
import { childrenOf, looksLikeNginxMaster } from "./processes.js";

/** nginx finishes in-flight requests on QUIT; after this long it is told to stop now (TERM). */
const GRACEFUL_STOP_MS = 35_000;
const FAST_STOP_MS = 5_000;

/**
 * Stops the nginx master of a prefix (`nginx -s quit`: SIGQUIT, requests in flight finish), then TERM,
 * then KILL to the master and its workers. A pid that is not an nginx master run from `prefixDir` is
 * left alone (the pid may have been reused).
 */
export async function stopMaster(pid: number | undefined, prefixDir: string): Promise<void> {
  if (pid === undefined || !pidAlive(pid) || !isMasterOf(pid, prefixDir)) return;
  const workers = childrenOf(pid);
  signalQuietly(pid, "SIGQUIT");
  if (await waitForExit(pid, GRACEFUL_STOP_MS)) return;
  signalQuietly(pid, "SIGTERM");
  if (await waitForExit(pid, FAST_STOP_MS)) return;
  for (const victim of [pid, ...workers, ...childrenOf(pid)]) signalQuietly(victim, "SIGKILL");
  await waitForExit(pid, FAST_STOP_MS);
}

function isMasterOf(pid: number, prefixDir: string): boolean {
  if (!looksLikeNginxMaster(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(prefixDir);
  } catch {
    return process.platform !== "linux";
  }
}

function signalQuietly(pid: number, signalName: NodeJS.Signals): void {
  try {
    process.kill(pid, signalName);
  } catch {}
}

/** The last lines of nginx's error log, for error messages. */
export function readErrorLogTail(file: string, lines = 5): string {
  try {
    const text = readFileSync(file, "utf8").trimEnd();
    return text.split("\n").slice(-lines).join("; ") || "(the error log is empty)";
  } catch {
    return "(no error log)";
  }
}
