import { readdirSync, readFileSync } from "node:fs";

/** SIGKILL to every nginx master run from under `dir`, and to its workers. */
export function killNginxUnder(dir: string): void {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmdline.includes("nginx: master process") || !cmdline.includes(dir)) continue;
    const pid = Number(entry);
    let workers: number[] = [];
    try {
      workers = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).map(Number);
    } catch {}
    for (const victim of [pid, ...workers]) {
      try {
        process.kill(victim, "SIGKILL");
      } catch {}
    }
  }
}
