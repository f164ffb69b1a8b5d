import { existsSync, readdirSync, readFileSync } from "node:fs";

const HAS_PROCFS = existsSync("/proc/self/stat");

/** State and process group from /proc/<pid>/stat (Linux); undefined when it cannot be read. */
function procStat(pid: number): { state: string; group: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may contain spaces: read the fields after it.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", group: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * A zombie has exited and waits to be reaped. A process whose main thread has ended while other threads
 * still finish (Node's exit) also shows state Z, but it still holds its sockets: it is not gone yet.
 */
function isZombie(pid: number, state: string): boolean {
  if (state !== "Z") return false;
  try {
    return readdirSync(`/proc/${pid}/task`).length <= 1;
  } catch {
    return true;
  }
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether a process is still running. A zombie (exited, not yet reaped by its parent) counts as gone:
 * `kill(pid, 0)` alone says it exists, which would make a SIGKILLed engine or instance look alive.
 */
export function isProcessAlive(pid: number): boolean {
  if (!signalable(pid)) return false;
  if (!HAS_PROCFS) return true;
  const stat = procStat(pid);
  return stat !== undefined && !isZombie(pid, stat.state);
}

/** Whether any process of the group `groupId` is still running (zombies excluded). */
export function isProcessGroupAlive(groupId: number): boolean {
  if (!signalable(-groupId)) return false;
  if (!HAS_PROCFS) return true;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.group === groupId && !isZombie(Number(entry), stat.state)) return true;
  }
  return false;
}
