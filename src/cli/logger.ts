import { type Logger as PinoLogger, pino } from "pino";
import { redactUrl } from "../api/server.js";
import { redactSecrets } from "../config/index.js";
import { TandemError } from "../core/errors.js";
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

/** Field paths pino replaces with `[redacted]` wherever they appear in a log line. */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "authorization",
  "token",
  "*.token",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "access_token",
  "*.access_token",
];

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
type Level = (typeof LEVELS)[number];

const LABELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warning",
  50: "error",
  60: "fatal",
};

/** Fields a line for people leaves out (they are in every JSON line). */
const PLAIN_OMITS = new Set(["level", "time", "pid", "hostname", "msg", "component"]);

export interface ServiceLog {
  /** For Fastify (`loggerInstance`): request lines only at debug or trace, warnings and errors always. */
  requests: PinoLogger;
  /** For the orchestrator, the engine and the notification dispatcher. */
  log: Logger;
  format: "json" | "plain";
  level: Level;
}

export interface ServiceLogOptions {
  /** `serve` or `engine`: the `component` field of every line. */
  component: string;
  env?: NodeJS.ProcessEnv;
  /** Default: process.stderr. */
  out?: { write(line: string): unknown; isTTY?: boolean };
}

/**
 * Structured logs of the long-running commands (`serve`, `engine`) with pino: one JSON object a line
 * when stderr is not a terminal (a service manager, a container, a pipe), `level: message {fields}` on
 * a terminal. TANDEM_LOG_FORMAT=json|plain chooses; TANDEM_LOG_LEVEL (default info; debug with
 * TANDEM_DEBUG=1) filters. Secrets never reach the output: the paths in REDACT_PATHS are replaced,
 * and every line goes through redactSecrets (the values of the configuration's secrets).
 */
export function serviceLogger(options: ServiceLogOptions): ServiceLog {
  const env = options.env ?? process.env;
  const out = options.out ?? process.stderr;
  const format = logFormat(env, out);
  const level = logLevel(env);
  const stream = {
    write(line: string) {
      const clean = redactSecrets(line);
      out.write(format === "json" ? clean : plainLine(clean));
    },
  };
  const root = pino(
    {
      level,
      base: { pid: process.pid, component: options.component },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      serializers: {
        req: (req: { method?: string; url?: string }) => ({
          method: req.method,
          url: redactUrl(req.url ?? ""),
        }),
        err: pino.stdSerializers.err,
      },
    },
    stream,
  );
  const verbose = level === "debug" || level === "trace";
  const requests = root.child({}, { level: verbose || level === "silent" ? level : atLeastWarn(level) });
  return { requests, log: fromPino(root), format, level };
}

/** Tandem's Logger on a pino logger: the message (secrets masked) and the fields as the line's fields. */
export function fromPino(logger: PinoLogger): Logger {
  const at =
    (level: "debug" | "info" | "warn" | "error") => (message: string, fields?: Record<string, unknown>) =>
      logger[level](fields ?? {}, redactSecrets(message));
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function logFormat(env: NodeJS.ProcessEnv, out: { isTTY?: boolean }): "json" | "plain" {
  const chosen = env.TANDEM_LOG_FORMAT;
  if (chosen === undefined || chosen === "") return out.isTTY ? "plain" : "json";
  if (chosen === "json" || chosen === "plain") return chosen;
  throw new TandemError("TANDEM_ERR_CONFIG", `TANDEM_LOG_FORMAT=${chosen} is not json or plain`);
}

function logLevel(env: NodeJS.ProcessEnv): Level {
  const chosen = env.TANDEM_LOG_LEVEL;
  if (chosen === undefined || chosen === "") return env.TANDEM_DEBUG === "1" ? "debug" : "info";
  if ((LEVELS as readonly string[]).includes(chosen)) return chosen as Level;
  throw new TandemError("TANDEM_ERR_CONFIG", `TANDEM_LOG_LEVEL=${chosen} is not one of ${LEVELS.join(", ")}`);
}

function atLeastWarn(level: Level): Level {
  return LEVELS.indexOf(level) > LEVELS.indexOf("warn") ? level : "warn";
}

/** A JSON line for people: `warning: message {fields}`, as the other commands write. */
function plainLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const label = LABELS[record.level as number] ?? String(record.level);
  const fields = Object.fromEntries(Object.entries(record).filter(([key]) => !PLAIN_OMITS.has(key)));
  const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
  return `${label}: ${String(record.msg ?? "")}${extra}\n`;
}
