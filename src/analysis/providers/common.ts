import { parseDuration } from "../../core/duration.js";
import { TandemError } from "../../core/errors.js";
import type { MeasureContext, Measurement } from "../types.js";

/** The names a provider's query, URL or command may refer to. */
export const PLACEHOLDER_NAMES = [
  "canaryVersion",
  "baselineVersion",
  "service",
  "environment",
  "project",
  "window",
] as const;

export type PlaceholderName = (typeof PLACEHOLDER_NAMES)[number];

/** `{{name}}` (prometheus, web) and `${name}` (job). */
export const MUSTACHE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
export const DOLLAR_BRACES = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A window as PromQL and people write it: `30s`, `5m` is `300s`, `1500ms`. */
export function windowText(ms: number): string {
  const rounded = Math.max(0, Math.round(ms));
  return rounded % 1000 === 0 ? `${rounded / 1000}s` : `${rounded}ms`;
}

export function placeholderValues(context: MeasureContext): Record<PlaceholderName, string | undefined> {
  return {
    canaryVersion: context.canaryVersion,
    baselineVersion: context.baselineVersion,
    service: context.service,
    environment: context.environment,
    project: context.project,
    window: windowText(context.windowMs),
  };
}

/** Throws a configuration error naming a placeholder Tandem does not know (found in `where`). */
export function checkPlaceholders(template: string, pattern: RegExp, where: string): void {
  for (const match of template.matchAll(pattern)) {
    const name = match[1]!;
    if (!(PLACEHOLDER_NAMES as readonly string[]).includes(name)) {
      throw configError(
        `${where}: unknown placeholder "${match[0]}"; known: ${PLACEHOLDER_NAMES.join(", ")}`,
      );
    }
  }
}

export type Substituted = { ok: true; text: string } | { ok: false; missing: string };

/**
 * Replaces the placeholders of `template`; `encode` prepares each value for where it lands. A
 * placeholder without a value (`baselineVersion` when there is no stable version) is reported, not
 * replaced by an empty string.
 */
export function substitute(
  template: string,
  pattern: RegExp,
  values: Record<string, string | undefined>,
  encode: (value: string) => string = (value) => value,
): Substituted {
  let missing: string | undefined;
  const text = template.replace(pattern, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing ??= name;
      return whole;
    }
    return encode(value);
  });
  return missing === undefined ? { ok: true, text } : { ok: false, missing };
}

export function missingPlaceholderError(context: MeasureContext, name: string): Measurement {
  return name === "baselineVersion"
    ? failure(context, `the ${context.service} rollout has no stable version for {{baselineVersion}}`)
    : failure(context, `no value for placeholder ${name}`);
}

/** A duration from the configuration, with a default; an invalid one is a configuration error. */
export function durationOption(value: number | string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  try {
    const ms = parseDuration(value);
    if (ms <= 0) throw new Error("must be positive");
    return ms;
  } catch {
    throw configError(`${what}: invalid duration ${JSON.stringify(value)}; write e.g. "10s" or 10000`);
  }
}

/** A required text field (the configuration layer passes provider settings through loosely typed). */
export function requireText(value: unknown, what: string): string {
  if (typeof value !== "string" || value.trim() === "")
    throw configError(`${what} must be a non-empty string`);
  return value;
}

export function configError(message: string): TandemError {
  return new TandemError("TANDEM_ERR_CONFIG", message);
}

export function measured(context: MeasureContext, value: number): Measurement {
  return { at: context.now, value };
}

export function failure(context: MeasureContext, reason: string): Measurement {
  return { at: context.now, error: reason };
}

/** Why a signal-bound operation stopped: the caller aborted, or the provider's own timeout fired. */
export function stopReason(parent: AbortSignal, timeoutMs: number): string {
  return parent.aborted ? "aborted" : `timed out after ${timeoutMs}ms`;
}

/**
 * A number as metric sources print it: `0.25`, `-3`, `1e-3`, `NaN`, `+Inf`, `-Inf`. Anything else
 * (empty, `12abc`, `0x10`) is undefined.
 */
export function parseMetricNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (/^nan$/i.test(trimmed)) return Number.NaN;
  const inf = /^([-+]?)inf(?:inity)?$/i.exec(trimmed);
  if (inf) return inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return undefined;
}

/** The last few hundred characters of some output, on one line. */
export function tail(output: string, chars = 300): string {
  const trimmed = output.trim();
  const cut = trimmed.length > chars ? `…${trimmed.slice(-chars)}` : trimmed;
  return cut.replace(/\s*\n\s*/g, " | ");
}

/** The message of something thrown, with its cause's (fetch hides the useful part there). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = cause && "code" in cause ? ` (${String((cause as { code: unknown }).code)})` : "";
  return cause ? `${error.message}: ${cause.message}${code}` : error.message;
}
