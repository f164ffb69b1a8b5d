import { TandemError } from "../core/errors.js";
import { mapStrings } from "./merge.js";
import type { PathSegment } from "./path.js";
import { noteEnvValue, registerSecret } from "./redact.js";

/**
 * `${env:NAME}` / `${secret:NAME}`, each with an optional `:-default`. Both read the environment; a
 * `${secret:}` value is registered as a secret (masked wherever Tandem writes or shows text). Other
 * placeholders (`${version}`, `${port}`…) are left alone.
 */
const PLACEHOLDER = /\$\{(env|secret):([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface InterpolationProblem {
  path: PathSegment[];
  message: string;
}

export interface Interpolated<T> {
  value: T;
  problems: InterpolationProblem[];
  /** Where a `${secret:}` placeholder was written (to check it is not in a command line). */
  secretPaths: PathSegment[][];
}

function interpolateString(
  text: string,
  env: NodeJS.ProcessEnv,
  path: PathSegment[],
  found: { problems: InterpolationProblem[]; secretPaths: PathSegment[][] },
): string {
  let secretHere = false;
  const result = text.replace(PLACEHOLDER, (placeholder, kind: "env" | "secret", inner: string) => {
    const separator = inner.indexOf(":-");
    const name = separator === -1 ? inner : inner.slice(0, separator);
    const fallback = separator === -1 ? undefined : inner.slice(separator + 2);
    if (!ENV_NAME.test(name)) {
      found.problems.push({
        path,
        message: `invalid placeholder ${placeholder}; write \${${kind}:NAME} or \${${kind}:NAME:-default}`,
      });
      return placeholder;
    }
    if (kind === "secret") secretHere = true;
    const variable = env[name];
    // Like the shell's `:-`, an empty variable also takes the default.
    const value = fallback !== undefined && (variable === undefined || variable === "") ? fallback : variable;
    if (value === undefined) {
      found.problems.push({ path, message: `environment variable ${name} is not set` });
      return placeholder;
    }
    if (kind === "secret") registerSecret(value, placeholder);
    else noteEnvValue(value, placeholder);
    return value;
  });
  if (secretHere) found.secretPaths.push(path);
  return result;
}

/**
 * Replaces `${env:NAME}` and `${secret:NAME}` in every string value (keys are left alone) and
 * registers each `${secret:}` value as a secret. Returns a new value; problems name the variable,
 * never its value.
 */
export function interpolateEnv<T>(
  value: T,
  env: NodeJS.ProcessEnv,
  path: PathSegment[] = [],
): Interpolated<T> {
  const found = { problems: [] as InterpolationProblem[], secretPaths: [] as PathSegment[][] };
  const interpolated = mapStrings(value, (text, at) => interpolateString(text, env, at, found), path);
  return { value: interpolated as T, ...found };
}

/** Interpolates one string at run time (e.g. a stored hook URL); throws when a variable is missing. */
export function interpolateEnvString(text: string, env: NodeJS.ProcessEnv = process.env): string {
  const { value, problems } = interpolateEnv(text, env);
  if (problems.length > 0) {
    throw new TandemError("TANDEM_ERR_ENV_MISSING", problems.map((problem) => problem.message).join("; "), {
      hint: `export the variable, or write \${env:NAME:-default} in the configuration`,
    });
  }
  return value;
}
