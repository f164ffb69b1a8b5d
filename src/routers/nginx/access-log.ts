import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { VersionStatsRecorder } from "../builtin/stats.js";
import type { VersionStats } from "../types.js";

const CHUNK_BYTES = 1 << 20;

/** One line of the `tandem` log_format: `{"v":version,"s":status,"t":seconds,"u":upstream addresses}`. */
interface LogLine {
  v: string;
  s: number;
  t: number;
}

/**
 * Per-version counts from the router's access log, read incrementally: each `read()` parses only what
 * was appended since the last one (a partial last line waits for the next read). When the file is
 * shorter than what was read (a new nginx master truncated it), counting starts over.
 */
export class AccessLogStats {
  private offset = 0;
  private pending = "";
  private recorders = new Map<string, VersionStatsRecorder>();

  constructor(private readonly file: string) {}

  read(): Record<string, VersionStats> {
    this.consume();
    return Object.fromEntries([...this.recorders].map(([version, r]) => [version, r.snapshot()]));
  }

  private consume(): void {
    let fd: number;
    try {
      fd = openSync(this.file, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      this.reset();
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) this.reset();
      const buffer = Buffer.alloc(CHUNK_BYTES);
      while (this.offset < size) {
        const n = readSync(fd, buffer, 0, Math.min(CHUNK_BYTES, size - this.offset), this.offset);
        if (n === 0) break;
        this.offset += n;
        this.ingest(buffer.toString("utf8", 0, n));
      }
    } finally {
      closeSync(fd);
    }
  }

  private ingest(text: string): void {
    const lines = (this.pending + text).split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines) {
      const parsed = parseLogLine(line);
      if (!parsed) continue;
      let recorder = this.recorders.get(parsed.v);
      if (!recorder) {
        recorder = new VersionStatsRecorder();
        this.recorders.set(parsed.v, recorder);
      }
      recorder.record(parsed.s, parsed.t * 1000);
    }
  }

  private reset(): void {
    this.offset = 0;
    this.pending = "";
    this.recorders = new Map();
  }
}

/** A log line of a routed request; undefined for other lines and for requests no version answered. */
export function parseLogLine(line: string): LogLine | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<LogLine>;
    if (typeof parsed.v !== "string" || parsed.v === "") return undefined;
    if (typeof parsed.s !== "number" || typeof parsed.t !== "number") return undefined;
    return { v: parsed.v, s: parsed.s, t: parsed.t };
  } catch {
    return undefined;
  }
}
