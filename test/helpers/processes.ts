import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as dead). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) STATE ..."; comm may contain spaces, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** The command line of a live process, or undefined. */
export function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return undefined;
  }
}

/** The environment of a live process, as a map. */
export function environmentOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8")
    .split("\0")
    .filter((line) => line.includes("="))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const);
  return Object.fromEntries(entries);
}

/**
 * Last-resort cleanup of a node process a test started (an instance or router recorded in the store):
 * SIGKILL to its process group and to itself. Anything that is not a running node process is left alone,
 * so a reused pid is never hit.
 */
export function killLeftoverNodeProcess(pid: number): boolean {
  if (!isProcessRunning(pid) || !commandLineOf(pid)?.includes("node")) return false;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // not a group leader, or already gone
    }
  }
  return true;
}

/**
 * Processes whose stdout or stderr is a file under `dir`: the routers and instances of a test project
 * write their logs in its state directory, so this finds them even when the store forgot them.
 */
export function processesLoggingUnder(dir: string): number[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    for (const fd of [1, 2]) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith(prefix)) {
        found.push(Number(entry));
        break;
      }
    }
  }
  return found.filter((pid) => pid !== process.pid);
}
