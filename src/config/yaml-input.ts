/**
 * Reads a YAML (or JSON) file a user gives — tandem.yaml, a version manifest — into data, whatever
 * its shape: bytes that are not UTF-8, a file or a value too large, syntax errors, duplicate keys,
 * several documents, unknown aliases, self-referencing anchors, alias bombs, deep nesting. Every
 * problem is a ConfigError (TANDEM_ERR_CONFIG) at file:line:col saying what to do; no input makes
 * this throw anything else or take long (see limits.ts).
 */
import { isUtf8 } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { type Document, LineCounter, parseDocument, type YAMLError } from "yaml";
import { ConfigError, type ConfigIssue } from "../core/errors.js";
import { capIssues } from "./issues.js";
import { INPUT_LIMITS, type InputLimits } from "./limits.js";
import { lineColumn } from "./locate.js";
import { tooDeepAt } from "./text-depth.js";
import { structureProblems } from "./yaml-check.js";

export interface YamlInputOptions {
  /** `failsafe` reads every scalar as a string (manifests). Default `core`. */
  schema?: "core" | "failsafe";
  /** Whether `<<: *name` merges a mapping. Default false. */
  merge?: boolean;
  /** What the file is, in messages ("a configuration file", "a version manifest"). */
  what?: string;
  limits?: Partial<InputLimits>;
}

export interface YamlInput {
  document: Document;
  lineCounter: LineCounter;
  /** The document as plain data (aliases resolved, no cycles). */
  value: unknown;
}

function limitsOf(options: { limits?: Partial<InputLimits> }): InputLimits {
  return { ...INPUT_LIMITS, ...options.limits };
}

function bytesText(bytes: number): string {
  const kib = bytes / 1024;
  return Number.isInteger(kib) ? `${bytes} bytes (${kib} KiB)` : `${bytes} bytes`;
}

function tooLarge(file: string, bytes: number | undefined, limit: number, what: string): ConfigError {
  const size = bytes === undefined ? `more than ${bytesText(limit)}` : `${bytes} bytes`;
  return new ConfigError([
    {
      file,
      line: 1,
      column: 1,
      path: "",
      message: `the file has ${size}; ${what} may have at most ${bytesText(limit)} (is this the right file?)`,
    },
  ]);
}

/**
 * Reads at most `maxBytes` (+1, to notice more) of `file` and decodes it as UTF-8. Errors of the file
 * system (ENOENT, EISDIR, EACCES) are thrown as they are, for the caller to word.
 */
export function readInputFile(file: string, options: Pick<YamlInputOptions, "what" | "limits"> = {}): string {
  const limit = limitsOf(options).maxBytes;
  const what = options.what ?? "a configuration file";
  const fd = openSync(file, "r");
  try {
    const declared = fstatSync(fd).size;
    if (declared > limit) throw tooLarge(file, declared, limit, what);
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > limit) throw tooLarge(file, undefined, limit, what);
    return decodeUtf8(buffer.subarray(0, length), file);
  } finally {
    closeSync(fd);
  }
}

/** The bytes as text (a leading BOM dropped); a ConfigError at the first byte that is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  if (isUtf8(bytes)) return new TextDecoder("utf-8").decode(bytes);
  // The shortest prefix that does not decode ends at the bad byte (an unfinished sequence at the
  // end of a prefix is not an error while streaming, so the test is monotonic).
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if (decodes(bytes.subarray(0, middle))) good = middle;
    else bad = middle;
  }
  // `bad - 1` is the byte that made the prefix fail; the sequence it breaks may start up to 3 earlier.
  let offset = bad - 1;
  for (let back = 1; back <= 3 && offset - back >= 0; back++) {
    const byte = bytes[offset - back]!;
    if (byte >= 0xc0) offset -= back;
    if (byte < 0x80 || byte >= 0xc0) break;
  }
  const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
  let line = 1;
  for (let index = 0; index < lineStart; index++) if (bytes[index] === 0x0a) line++;
  const column = new TextDecoder("utf-8").decode(bytes.subarray(lineStart, offset)).length + 1;
  const byte = bytes[offset]!.toString(16).toUpperCase().padStart(2, "0");
  return throwIssue({
    file,
    line,
    column,
    path: "",
    message: `byte 0x${byte} is not UTF-8 text; save the file as UTF-8 (is it a binary file?)`,
  });
}

function decodes(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function throwIssue(issue: ConfigIssue): never {
  throw new ConfigError([issue]);
}

/** How much deeper than `maxDepth` a text may look before the parser is spared it. */
const PARSER_DEPTH_FACTOR = 4;

function lineOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (
    let index = text.indexOf("\n");
    index !== -1 && index < offset;
    index = text.indexOf("\n", index + 1)
  ) {
    line++;
    start = index + 1;
  }
  return { line, column: offset - start + 1 };
}

function syntaxMessage(error: YAMLError, limits: InputLimits): string {
  const first = error.message.split("\n")[0] ?? "";
  if (/call stack/i.test(first)) {
    return `nested too deeply to read (more than ${limits.maxDepth} levels are refused); flatten this value`;
  }
  switch (error.code) {
    case "MULTIPLE_DOCS":
      return "a second YAML document starts here (`---`); the file must hold one document: remove the `---` and what follows, or merge it into the first";
    default:
      return `YAML syntax error: ${first}`;
  }
}

/**
 * Parses `text` (from `file`) into data; throws ConfigError listing every problem at file:line:col.
 * The caller checks the data's shape (a mapping, its fields).
 */
export function parseYamlInput(text: string, file: string, options: YamlInputOptions = {}): YamlInput {
  const limits = limitsOf(options);
  const what = options.what ?? "a configuration file";
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxBytes) throw tooLarge(file, bytes, limits.maxBytes, what);
  // Refused before parsing: the parser recurses per level (see text-depth.ts).
  const deep = tooDeepAt(text, limits.maxDepth * PARSER_DEPTH_FACTOR);
  if (deep !== undefined) {
    const line = lineOf(text, deep);
    throw new ConfigError([
      {
        file,
        ...line,
        path: "",
        message: `nested more than ${limits.maxDepth} levels deep (brackets and indentation open over ${limits.maxDepth * PARSER_DEPTH_FACTOR} levels here); flatten this value`,
      },
    ]);
  }
  const lineCounter = new LineCounter();
  const merge = options.merge ?? false;
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    schema: options.schema ?? "core",
    merge,
    // Duplicate keys are found by structureProblems, in one pass (see yaml-check.ts).
    uniqueKeys: false,
    // Problems are reported as issues; the library must not print to stderr.
    logLevel: "error",
  });
  const at = (offset: number) => ({ file, ...lineColumn(lineCounter, offset), path: "" });
  if (document.errors.length > 0) {
    throw new ConfigError(
      capIssues(
        document.errors.map((error) => ({
          ...at(error.pos[0]),
          message: syntaxMessage(error, limits),
        })),
        limits.maxIssues,
      ),
    );
  }
  const problems = structureProblems(document, limits, { merge });
  if (problems.length > 0) {
    throw new ConfigError(problems.map((problem) => ({ ...at(problem.offset), message: problem.message })));
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: limits.maxAliasExpansion });
  } catch (error) {
    // The checks above should leave nothing for the library to refuse; if it does, it is located.
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError([
      { ...at(document.contents?.range?.[0] ?? 0), message: `cannot read this YAML: ${message}` },
    ]);
  }
  return { document, lineCounter, value };
}
