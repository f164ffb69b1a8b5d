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

/** The router's own failures under `dir` (access log lines with 502–504, error log warnings), for messages. */
export function nginxFailures(dir: string): string {
  const lines: string[] = [];
  for (const logs of findDirs(dir, "logs", 6)) {
    for (const [file, keep] of [
      ["access.log", (line: string) => /"s":50[234]/.test(line)],
      ["error.log", (line: string) => /\[(warn|error|crit|alert|emerg)\]/.test(line)],
    ] as const) {
      try {
        const matched = readFileSync(`${logs}/${file}`, "utf8").split("\n").filter(keep);
        lines.push(...matched.slice(-20).map((line) => `${file}: ${line}`));
      } catch {}
    }
  }
  return lines.join("\n") || "(no router failures in nginx's logs)";
}

function findDirs(dir: string, name: string, depth: number): string[] {
  if (depth < 0) return [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const path = `${dir}/${entry.name}`;
      return entry.name === name ? [path] : findDirs(path, name, depth - 1);
    });
}
