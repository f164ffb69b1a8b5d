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

/** A worker process as it was seen: its pid and its start time, which tells it apart from a reused pid. */
export interface WorkerIdentity {
  pid: number;
  startTime: string;
}

/** The master's workers with their start times (Linux /proc); empty elsewhere. */
export function workerIdentities(masterPid: number): WorkerIdentity[] {
  return childrenOf(masterPid).flatMap((pid) => {
    const startTime = processStartTime(pid);
    return startTime === undefined ? [] : [{ pid, startTime }];
  });
}

/** Whether the worker still runs as the same process (not exited, pid not reused). */
export function workerRunning(worker: WorkerIdentity): boolean {
  return processStartTime(worker.pid) === worker.startTime;
}

/** Field 22 of /proc/PID/stat, the start time in clock ticks since boot. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses; the fields after it do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}
