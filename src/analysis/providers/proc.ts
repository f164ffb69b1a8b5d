import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";

/** CPU time a process has used so far, with what identifies it across pid reuse. */
export interface CpuSample {
  pid: number;
  /** utime + stime, in milliseconds. */
  cpuMs: number;
  /** Start time since boot (clock ticks): a different value means a different process with the same pid. */
  startTicks: number;
  /** performance.now() when read. */
  readAt: number;
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux' usual architectures). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 2000 }).trim());
      clockTicks = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Reads /proc/<pid>/stat; undefined when the process is gone (or is a zombie). */
export async function readCpuSample(pid: number): Promise<CpuSample | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const readAt = performance.now();
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14, stime 15, starttime 22.
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const startTicks = Number(fields[19]);
  if (![utime, stime, startTicks].every(Number.isFinite)) return undefined;
  return { pid, cpuMs: ((utime + stime) * 1000) / clockTicksPerSecond(), startTicks, readAt };
}

/** Resident memory (VmRSS) in bytes from /proc/<pid>/status; undefined when the process is gone. */
export async function readRssBytes(pid: number): Promise<number | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}
