import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RouteTable } from "../types.js";
import { ACCESS_LOG, PID_FILE } from "./config-text.js";

/**
 * The files of one service's nginx, all under its own prefix directory in the state directory:
 * `conf/nginx.conf` (what the master runs), `conf/applied.json` (the table it serves and its generation),
 * `logs/`, `temp/` and the pid file. Nothing outside it is written.
 */
export class NginxPrefix {
  readonly dir: string;

  constructor(stateDir: string, environment: string, service: string) {
    this.dir = join(stateDir, "nginx", `${environment}.${service}`);
  }

  get confFile(): string {
    return join(this.dir, "conf", "nginx.conf");
  }

  get accessLog(): string {
    return join(this.dir, ACCESS_LOG);
  }

  get pidFile(): string {
    return join(this.dir, PID_FILE);
  }

  get errorLog(): string {
    return join(this.dir, "logs", "error.log");
  }

  /** Creates the directories nginx needs (it creates the temp sub-directories itself). */
  prepare(): void {
    for (const sub of ["conf", "logs", "temp"]) mkdirSync(join(this.dir, sub), { recursive: true });
  }

  /** A candidate configuration next to the live one (same file system, so the rename is atomic). */
  candidateFile(generation: number): string {
    return join(this.dir, "conf", `nginx.conf.${generation}.candidate`);
  }

  writeCandidate(generation: number, text: string): string {
    const file = this.candidateFile(generation);
    writeFileSync(file, text);
    return file;
  }

  /** Moves a tested candidate into place; returns the previous text, to put back if the reload fails. */
  promote(candidate: string): string | undefined {
    const previous = readOptional(this.confFile);
    renameSync(candidate, this.confFile);
    return previous;
  }

  restore(previous: string | undefined): void {
    if (previous === undefined) return;
    atomicWrite(this.confFile, previous);
  }

  discard(candidate: string): void {
    rmSync(candidate, { force: true });
  }

  readApplied(): AppliedTable | undefined {
    const text = readOptional(join(this.dir, "conf", "applied.json"));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as AppliedTable;
    } catch {
      return undefined;
    }
  }

  writeApplied(applied: AppliedTable): void {
    atomicWrite(join(this.dir, "conf", "applied.json"), `${JSON.stringify(applied)}\n`);
  }

  readPid(): number | undefined {
    const text = readOptional(this.pidFile);
    const pid = text === undefined ? Number.NaN : Number.parseInt(text.trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** A new master starts with an empty access log, so statistics count from its start. */
  truncateAccessLog(): void {
    writeFileSync(this.accessLog, "");
  }
}

export interface AppliedTable {
  generation: number;
  /** Absent before the first table was applied (the master serves 503 then). */
  table?: RouteTable;
  /** The listeners the master was started with; a change restarts it. */
  listeners: { previewListen?: number };
}

function atomicWrite(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
