import { redactSecrets } from "../config/index.js";
import type { Logger } from "../core/types.js";

/** Warnings and errors to stderr (debug and info too with TANDEM_DEBUG=1), secrets masked. */
export function stderrLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const verbose = env.TANDEM_DEBUG === "1";
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    process.stderr.write(redactSecrets(`${level}: ${message}${extra}\n`));
  };
  const quiet = () => {};
  return {
    debug: verbose ? write("debug") : quiet,
    info: verbose ? write("info") : quiet,
    warn: write("warning"),
    error: write("error"),
  };
}
