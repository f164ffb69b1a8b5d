import { readFileSync } from "node:fs";

/** Guards signals sent by pid against pid reuse: on Linux, the process must be an nginx master. */
export function looksLikeNginxMaster(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("nginx: master process");
  } catch {
    return process.platform !== "linux";
  }
}

/** Pids of the master's workers that are still finishing requests after a reload (Linux only). */
export function shuttingDownWorkers(masterPid: number): number[] {
  return childrenOf(masterPid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("is shutting down");
    } catch {
      return false;
    }
  });
}

/** The master's worker processes (Linux /proc); empty elsewhere. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter((entry) => entry !== "")
      .map(Number);
  } catch {
    return [];
  }
}
