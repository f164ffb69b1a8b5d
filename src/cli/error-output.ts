import { CommanderError } from "commander";
import { redactSecrets } from "../config/index.js";
import { isTandemError } from "../core/errors.js";
import { EXIT } from "./context.js";

/** Codes whose errors exit 3 (operational); every other TandemError exits 2. */
const OPERATIONAL = new Set([
  "TANDEM_ERR_TARGET",
  "TANDEM_ERR_ROUTER",
  "TANDEM_ERR_STORE",
  "TANDEM_ERR_STORE_FULL",
  "TANDEM_ERR_STORE_READONLY",
  "TANDEM_ERR_LEASE",
  "TANDEM_ERR_PROBE",
  "TANDEM_ERR_NOTIFY_FAILED",
  "TANDEM_ERR_TIMEOUT",
]);

/** The code of an error that is not a TandemError (a bug, or something no one expected). */
export const INTERNAL_ERROR = "TANDEM_ERR_INTERNAL";
/** The code of a command line commander refused (unknown command or option, missing argument). */
export const USAGE_ERROR = "TANDEM_ERR_INVALID_REQUEST";

export interface ErrorJson {
  error: { code: string; message: string; hint?: string };
}

/**
 * Reports an error that ended a command and returns the exit code. The line for people always goes to
 * stderr (`error CODE: message`); under `--json`, `{"error":{"code","message","hint"}}` also goes to
 * stdout, so stdout holds exactly one JSON document whether the command succeeded or not.
 */
export function reportError(error: unknown, json: boolean): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help, or the version) on stderr / stdout.
    if (error.exitCode === 0) return EXIT.ok;
    if (json) writeJson({ error: { code: USAGE_ERROR, message: error.message.replace(/^error: /, "") } });
    return EXIT.invalid;
  }
  if (isTandemError(error)) {
    const message = redactSecrets(error.message);
    process.stderr.write(`error ${error.code}: ${message}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    if (json)
      writeJson({ error: { code: error.code, message, ...(error.hint ? { hint: error.hint } : {}) } });
    if (error.code === "TANDEM_ERR_STORE_CORRUPT") return EXIT.storeCorrupt;
    return OPERATIONAL.has(error.code) ? EXIT.operational : EXIT.invalid;
  }
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  process.stderr.write(
    `unexpected error: ${redactSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
  );
  if (json) writeJson({ error: { code: INTERNAL_ERROR, message } });
  return EXIT.operational;
}

function writeJson(value: ErrorJson): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * A reader that closed stdout (`tandem schema | head -1`) ends the command quietly, with the exit code
 * it had so far, instead of an EPIPE stack trace.
 */
export function exitQuietlyOnClosedStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(typeof process.exitCode === "number" ? process.exitCode : EXIT.ok);
  });
}
