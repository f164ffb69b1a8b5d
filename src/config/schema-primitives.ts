import { z } from "zod";
import type { Amount } from "../core/config.js";
import { parseDuration } from "../core/duration.js";
import { registerCredential } from "./redact.js";
import { unknownNameMessage } from "./suggest.js";

/**
 * A `.strict()` object whose unknown-key issue carries one message per unknown key, in the order of
 * `issue.keys`, joined by newlines (the loader splits them to locate each key separately).
 */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T, kind = "field") {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => unknownNameMessage(kind, key, allowed)).join("\n")
        : undefined,
  });
}

/**
 * A custom message for a value of the wrong kind; a missing value keeps the generic "missing required
 * field", and a bad record key its own message.
 */
export function unlessMissing(message: string) {
  return (issue: z.core.$ZodRawIssue): string | undefined =>
    issue.input === undefined || issue.code === "invalid_key" || issue.code === "invalid_element"
      ? undefined
      : message;
}

/** Error for a discriminated union whose `type` is missing or unknown. */
export function unknownTypeError(kind: string, known: readonly string[]) {
  return (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code !== "invalid_union") return undefined;
    const input = issue.input as { type?: unknown } | null | undefined;
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      return `expected a ${kind} object with a "type" (one of: ${known.join(", ")})`;
    }
    if (input.type === undefined) return `missing field "type"; known ${kind} types: ${known.join(", ")}`;
    return `unknown ${kind} type ${JSON.stringify(input.type)}; known types: ${known.join(", ")}`;
  };
}

const DURATION_HINT = 'write a number followed by a unit, e.g. "500ms", "30s", "5m", "1h30m"';

/** `500ms`, `30s`, `5m`, `1h30m` (or a number of milliseconds), normalised to milliseconds. */
export const duration = z
  .union([z.string(), z.number()], { error: unlessMissing(`expected a duration; ${DURATION_HINT}`) })
  .transform((input, ctx) => {
    try {
      return parseDuration(input);
    } catch {
      ctx.issues.push({
        code: "custom",
        message: `invalid duration ${JSON.stringify(input)}; ${DURATION_HINT}`,
        input,
      });
      return z.NEVER;
    }
  })
  .meta({ description: 'A duration: "500ms", "30s", "5m", "1h", "1h30m" (a bare number is milliseconds).' });

export const port = z
  .number()
  .int({ error: "a port is a whole number between 1 and 65535" })
  .min(1, { error: "a port is a whole number between 1 and 65535" })
  .max(65535, { error: "a port is a whole number between 1 and 65535" });

export const nonNegativeInt = z.number().int().min(0);

export const nonEmptyString = z.string().min(1, { error: "must not be empty" });

/** argv: a list of strings, run without a shell. */
export const argv = z
  .array(nonEmptyString, { error: unlessMissing("expected a list of arguments, e.g. [node, server.js]") })
  .min(1, { error: "must list at least the program to run" });

/** A map of names to strings; numbers and booleans are written as YAML scalars and become strings. */
export const stringMap = z.record(
  z.string(),
  z
    .union([z.string(), z.number(), z.boolean()], { error: unlessMissing("expected a string") })
    .transform(String),
);

/**
 * Marks a field as a credential (a token, a password, a webhook URL, a signing secret): its value is
 * registered as a secret whatever its source (`${env:X}`, `${secret:X}` or written out), so it is
 * masked in logs, events, API responses and stored rows.
 */
export function credential<T extends z.ZodType<string, string>>(schema: T) {
  return schema.transform((value: string) => {
    registerCredential(value);
    return value;
  });
}

/** Header names whose value is a credential, whatever the header map they are in. */
const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie|x-api-key|x-auth-token|.*(token|secret|password|api-key).*)$/i;

/** HTTP headers (a `stringMap`); the value of a credential header (`Authorization`, `*-Token`…) is secret. */
export const headerMap = stringMap.transform((headers) => {
  for (const [name, value] of Object.entries(headers)) {
    if (CREDENTIAL_HEADER.test(name)) registerCredential(value);
  }
  return headers;
});

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** `3` (instances) or `"25%"` (of the desired replicas). */
export const amount = z
  .union([nonNegativeInt, z.string()], {
    error: unlessMissing('expected a count (e.g. 1) or a percentage (e.g. "25%")'),
  })
  .transform((input, ctx): Amount => {
    if (typeof input === "number") return { value: input, percent: false };
    const match = PERCENT.exec(input.trim());
    const value = match ? Number(match[1]) : Number.NaN;
    if (!match || value > 100) {
      ctx.issues.push({
        code: "custom",
        message: `invalid amount ${JSON.stringify(input)}; write a count (e.g. 1) or a percentage from 0% to 100% (e.g. "25%")`,
        input,
      });
      return z.NEVER;
    }
    return { value, percent: true };
  });

/** `project`, service and environment names: they appear in paths, URLs and the store. */
export const projectName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: "use lowercase letters, digits and dashes (e.g. shop-api)" });

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
