import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import semver from "semver";
import { z } from "zod";
import { describeIssue, fromZodIssues, type PendingIssue, toConfigIssues } from "../config/issues.js";
import { isPlainObject } from "../config/merge.js";
import { NAME_PATTERN, strictObject } from "../config/schema-primitives.js";
import { parseYamlInput, readInputFile } from "../config/yaml-input.js";
import { ConfigError, TandemError } from "../core/errors.js";

/** What a version offers and needs, as written in a manifest or on the command line. */
export interface VersionManifest {
  /** Capability name -> exact version. */
  provides: Record<string, string>;
  /** Service or capability name -> semver range. */
  requires: Record<string, string>;
}

/** The manifest a version's directory may ship, looked up in this order. */
export const MANIFEST_FILES = ["tandem-version.yaml", "tandem-version.yml", "tandem-version.json"] as const;

/** Why `value` is not an exact version, or undefined when it is one. */
export function versionProblem(value: string): string | undefined {
  return semver.valid(value) ? undefined : `"${value}" is not an exact semver version (write it like 3.1.0)`;
}

/** Why `value` is not a semver range, or undefined when it is one. An empty string is refused. */
export function rangeProblem(value: string): string | undefined {
  return value.trim() !== "" && semver.validRange(value) !== null
    ? undefined
    : `"${value}" is not a semver range (write it like ^2.4, ~1.2.3 or >=1.0.0 <2)`;
}

const name = z.string().regex(NAME_PATTERN, {
  error: "use letters, digits, '.', '_' and '-', starting with a letter or digit",
});

function pairs(check: (value: string) => string | undefined) {
  const map = z.record(
    name,
    z.string().check((ctx) => {
      const problem = check(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
    }),
  );
  // The file is read with every scalar as a string: an empty `provides:` is "", JSON null is "null".
  return z.preprocess(
    (value) => (value === "" || value === "null" || value === "~" ? undefined : value),
    map.optional(),
  );
}

const manifestSchema = strictObject({ provides: pairs(versionProblem), requires: pairs(rangeProblem) });

/**
 * Parses a manifest text (YAML, or JSON, which is YAML). Every scalar is read as a string, so
 * `1.10` stays "1.10". Throws ConfigError (TANDEM_ERR_CONFIG) listing each problem at file:line:col:
 * unknown fields, names, versions that are not exact, ranges that do not parse.
 */
export function parseManifest(text: string, file: string): VersionManifest {
  const {
    document,
    lineCounter,
    value: raw,
  } = parseYamlInput(text, file, {
    schema: "failsafe",
    what: "a version manifest",
  });
  if (raw === null || raw === undefined || raw === "") return { provides: {}, requires: {} };
  if (!isPlainObject(raw)) {
    throw new ConfigError([
      { file, line: 1, column: 1, path: "", message: "expected a mapping with `provides` and/or `requires`" },
    ]);
  }
  const result = manifestSchema.safeParse(raw, { error: describeIssue });
  if (!result.success) {
    const pending: PendingIssue[] = fromZodIssues(result.error.issues);
    throw new ConfigError(toConfigIssues(pending, file, document, lineCounter, raw));
  }
  return { provides: result.data.provides ?? {}, requires: result.data.requires ?? {} };
}

/** Reads and validates one manifest file. */
export function readManifestFile(file: string): VersionManifest {
  const absolute = resolve(file);
  let text: string;
  try {
    text = readInputFile(absolute, { what: "a version manifest" });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new TandemError("TANDEM_ERR_CONFIG", `cannot read manifest ${absolute}`, {
      cause: error,
      hint: `a version manifest is a YAML or JSON file named ${MANIFEST_FILES.join(", ")}`,
    });
  }
  return parseManifest(text, absolute);
}

/**
 * The manifest shipped in a version's directory (`tandem-version.yaml`, `.yml` or `.json`), or
 * undefined when there is none. Two of them in one directory is an error (which one is meant?).
 */
export function readManifest(dir: string): VersionManifest | undefined {
  const present = MANIFEST_FILES.map((name) => join(resolve(dir), name)).filter((file) => existsSync(file));
  if (present.length > 1) {
    throw new TandemError(
      "TANDEM_ERR_CONFIG",
      `${dir} has several version manifests: ${present.join(", ")}`,
      {
        hint: "keep one of them",
      },
    );
  }
  return present[0] === undefined ? undefined : readManifestFile(present[0]);
}

/**
 * Parses command-line pairs, `name:value` or `name=value` (split at the first ':' or '=', so
 * `api=>=1.2` is api -> >=1.2). `provides` values must be exact versions, `requires` values ranges.
 * Throws TANDEM_ERR_INVALID_REQUEST naming the flag and the pair.
 */
export function parsePairs(
  values: readonly string[],
  kind: "provides" | "requires" = "requires",
): Record<string, string> {
  const example = kind === "provides" ? "orders-api:3.1.0" : "api:^2.4";
  const result: Record<string, string> = {};
  for (const text of values) {
    const refuse = (why: string) =>
      new TandemError("TANDEM_ERR_INVALID_REQUEST", `--${kind} "${text}": ${why}`, {
        hint: `write NAME:${kind === "provides" ? "VERSION" : "RANGE"} or NAME=${kind === "provides" ? "VERSION" : "RANGE"}, e.g. --${kind} ${example}`,
      });
    const cut = text.search(/[:=]/);
    if (cut <= 0) throw refuse("expected NAME:VALUE");
    const key = text.slice(0, cut).trim();
    const value = text.slice(cut + 1).trim();
    if (!NAME_PATTERN.test(key)) throw refuse(`"${key}" is not a valid name`);
    if (value === "") throw refuse(`no value for "${key}"`);
    const problem = kind === "provides" ? versionProblem(value) : rangeProblem(value);
    if (problem) throw refuse(problem);
    if (key in result) throw refuse(`"${key}" is given twice`);
    result[key] = value;
  }
  return result;
}
