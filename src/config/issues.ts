import type { Document, LineCounter } from "yaml";
import type { z } from "zod";
import type { ConfigIssue } from "../core/errors.js";
import { INPUT_LIMITS } from "./limits.js";
import { type Location, locate } from "./locate.js";
import type { PathSegment } from "./path.js";
import { redactSecrets } from "./redact.js";

export const MISSING_FIELD = "missing required field";

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
  tuple: "a list",
};

/** Per-parse error map: plain-language messages for the issues our schema does not word itself. */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return MISSING_FIELD;
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case "too_small":
      if (issue.origin === "array") return `must list at least ${issue.minimum} item(s)`;
      if (issue.origin === "string") return "must not be empty";
      return `must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `must list at most ${issue.maximum} item(s)`;
      return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
    case "invalid_value":
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(" or ")}, got ${describeValue(issue.input)}`;
    case "invalid_union":
      if (issue.input === undefined) return MISSING_FIELD;
      return `does not match any accepted form (got ${describeValue(issue.input)})`;
    default:
      return undefined;
  }
}

export interface PendingIssue {
  path: PathSegment[];
  message: string;
  /** Locate the key itself rather than its value. */
  atKey?: boolean;
  /** Report the path of the mapping holding the key (an unknown field is not a path of its own). */
  reportParent?: boolean;
  /** Wins over other issues at the same path (they are consequences of it). */
  primary?: boolean;
}

/** Splits zod issues into one pending issue per problem (one per unknown key). */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): PendingIssue[] {
  const pending: PendingIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const messages = issue.message.split("\n");
      issue.keys.forEach((key, index) => {
        pending.push({
          path: [...path, key],
          message: messages[index] ?? `unknown field "${key}"`,
          atKey: true,
          reportParent: true,
          primary: true,
        });
      });
      continue;
    }
    if (issue.code === "invalid_key") {
      const name = path[path.length - 1];
      pending.push({
        path,
        message: `invalid name ${JSON.stringify(name)}: ${issue.issues[0]?.message ?? "not allowed"}`,
        atKey: true,
        reportParent: true,
        primary: true,
      });
      continue;
    }
    const last = path[path.length - 1];
    const message =
      issue.message === MISSING_FIELD && typeof last === "string"
        ? `${MISSING_FIELD} "${last}"`
        : issue.message;
    pending.push({ path, message });
  }
  return pending;
}

function key(path: readonly PathSegment[]): string {
  return JSON.stringify(path);
}

/** Locates, redacts, drops consequences of unknown keys and duplicates (a default shared by services). */
export function toConfigIssues(
  pending: readonly PendingIssue[],
  file: string,
  document: Document,
  lineCounter: LineCounter,
  rawDocument: unknown,
): ConfigIssue[] {
  const unknownKeyParents = new Set(
    pending.filter((p) => p.reportParent).map((p) => key(p.path.slice(0, -1))),
  );
  const located: ConfigIssue[] = [];
  const seen = new Set<string>();
  const primaryAt = new Set<string>();
  const ordered = [...pending].sort((a, b) => Number(b.primary ?? false) - Number(a.primary ?? false));
  for (const issue of ordered) {
    if (!issue.reportParent && unknownKeyParents.has(key(issue.path))) continue;
    const where: Location = locate(document, lineCounter, rawDocument, issue.path, { atKey: issue.atKey });
    const spot = `${where.line}:${where.column}`;
    if (!issue.primary && primaryAt.has(spot)) continue;
    if (issue.primary) primaryAt.add(spot);
    const message = oneLine(redactSecrets(issue.message));
    const path = oneLine(issue.reportParent ? parentPath(where.path) : where.path);
    const identity = `${spot}:${path}:${message}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    located.push({ file, line: where.line, column: where.column, path, message });
  }
  return capIssues(located.sort((a, b) => a.line - b.line || a.column - b.column));
}

const MAX_ISSUE_TEXT = 1000;

/** Issue text on one line: control characters escaped (a key may hold any), very long text cut. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters escaped
  const escaped = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (char) => {
    if (char === "\n") return "\\n";
    if (char === "\t") return "\\t";
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return escaped.length > MAX_ISSUE_TEXT ? `${escaped.slice(0, MAX_ISSUE_TEXT - 3)}...` : escaped;
}

/** The issues past the limit are summed up in one last issue, so an error stays readable. */
export function capIssues(issues: ConfigIssue[], max: number = INPUT_LIMITS.maxIssues): ConfigIssue[] {
  if (issues.length <= max) return issues;
  const last = issues[max - 1]!;
  return [
    ...issues.slice(0, max - 1),
    { ...last, message: `${issues.length - max + 1} more problems like these; fix the ones above first` },
  ];
}

/** `services.api.target.replcas` -> `services.api.target`; `steps[2].setWieght` -> `steps[2]`. */
function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
  if (cut <= 0) return "";
  return path[cut] === "[" && path.endsWith("]") ? path.slice(0, path.lastIndexOf("[")) : path.slice(0, cut);
}
