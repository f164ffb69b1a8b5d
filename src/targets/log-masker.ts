import { closeSync, openSync, writeSync } from "node:fs";
import { MASK_ENV, MaskingWriter, maskFromEnv } from "../config/mask.js";

/**
 * A `process` target instance's log writer: `node dist/targets/log-masker.js <log file>`, started
 * detached beside the instance, so that both outlive the engine. Its stdin is the instance's stdout and
 * stderr (one pipe); it appends them to the log file with every secret masked (the values come in
 * `MASK_ENV`, removed at once), and exits when the pipe closes: the instance and every process that
 * inherited its output have exited.
 */

/** An unfinished line of output is written (masked) after this much quiet. */
const PARTIAL_LINE_MS = 250;

const file = process.argv[2];
if (!file) process.exit(2);
const secrets = maskFromEnv(process.env);
delete process.env[MASK_ENV];

const logFd = openSync(file, "a", 0o600);
const log = new MaskingWriter(secrets, (text) => {
  try {
    writeSync(logFd, text);
  } catch {
    // A full disk loses log lines, never the instance: it keeps its pipe drained.
  }
});

let quiet: NodeJS.Timeout | undefined;
process.stdin.on("data", (chunk: Buffer) => {
  log.push(chunk);
  if (quiet) clearTimeout(quiet);
  quiet = setTimeout(() => log.emitPartial(), PARTIAL_LINE_MS);
});
process.stdin.on("end", () => {
  if (quiet) clearTimeout(quiet);
  log.flush();
  closeSync(logFd);
  process.exit(0);
});
// The instance is stopped with its process group; this process is in a group of its own and ends
// with the pipe, so it ignores the signals a terminal would send to everything it started.
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
