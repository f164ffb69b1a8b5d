import { closeSync, openSync, readSync, statSync } from "node:fs";

/** The last few non-empty lines of a log file (reads at most its last 4 KiB), or "" when unreadable. */
export function logTail(file: string, lines = 3): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 4096);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, "r");
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer
      .toString("utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .slice(-lines)
      .join(" | ");
  } catch {
    return "";
  }
}
