/**
 * Every error Tandem raises on purpose is a TandemError with a stable `code`
 * (listed in README.md, "Error codes"). Callers switch on `code`, never on messages.
 */
export type ErrorCode =
  | "TANDEM_ERR_CONFIG"
  | "TANDEM_ERR_CONFIG_NOT_FOUND"
  | "TANDEM_ERR_ENV_MISSING"
  | "TANDEM_ERR_UNKNOWN_TYPE"
  | "TANDEM_ERR_CAS_CONFLICT"
  | "TANDEM_ERR_NOT_FOUND"
  | "TANDEM_ERR_RELEASE_ACTIVE"
  | "TANDEM_ERR_INVALID_REQUEST"
  | "TANDEM_ERR_NOT_ALLOWED"
  | "TANDEM_ERR_TARGET"
  | "TANDEM_ERR_ROUTER"
  | "TANDEM_ERR_PROBE"
  | "TANDEM_ERR_STORE"
  | "TANDEM_ERR_STORE_CORRUPT"
  | "TANDEM_ERR_STORE_FULL"
  | "TANDEM_ERR_STORE_READONLY"
  | "TANDEM_ERR_LEASE"
  | "TANDEM_ERR_NOTIFY_FAILED"
  | "TANDEM_ERR_WEBHOOK_VERIFY"
  | "TANDEM_ERR_UNAUTHENTICATED"
  | "TANDEM_ERR_FORBIDDEN"
  | "TANDEM_ERR_LIMIT"
  | "TANDEM_ERR_BUSY"
  | "TANDEM_ERR_TIMEOUT";

export class TandemError extends Error {
  readonly code: ErrorCode;
  /** A short instruction for the person reading the error: what to do next. */
  readonly hint?: string;
  /** For TANDEM_ERR_BUSY: seconds after which trying again may succeed (HTTP `Retry-After`). */
  readonly retryAfterSeconds?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; hint?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** One problem found in a configuration file, located precisely. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted field path, e.g. `services.api.strategy.canary.steps[2]`. */
  path: string;
  message: string;
}

export class ConfigError extends TandemError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], options: { cause?: unknown } = {}) {
    super("TANDEM_ERR_CONFIG", issues.map(formatConfigIssue).join("\n"), {
      ...options,
      hint: "fix the fields named above; `tandem schema` prints every field and its type",
    });
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export class UnknownTypeError extends TandemError {
  constructor(kind: string, type: string, known: readonly string[]) {
    super("TANDEM_ERR_UNKNOWN_TYPE", `unknown ${kind} type "${type}"; known types: ${known.join(", ")}`);
  }
}

export class CasConflictError extends TandemError {
  constructor(what: string, expected: number, actual: number | undefined) {
    super(
      "TANDEM_ERR_CAS_CONFLICT",
      `${what} was changed by someone else (expected revision ${expected}, found ${actual ?? "none"})`,
      { hint: "reload the state and retry" },
    );
  }
}

export class NotFoundError extends TandemError {
  constructor(what: string, hint?: string) {
    super("TANDEM_ERR_NOT_FOUND", `${what} not found`, { hint });
  }
}

export class TargetError extends TandemError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super("TANDEM_ERR_TARGET", message, options);
  }
}

export class RouterError extends TandemError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super("TANDEM_ERR_ROUTER", message, options);
  }
}

export class StoreError extends TandemError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super("TANDEM_ERR_STORE", message, options);
  }
}

/** The store already holds a release under this id; the caller draws another id. */
export class ReleaseExistsError extends StoreError {}

export function isTandemError(error: unknown): error is TandemError {
  return error instanceof TandemError;
}
