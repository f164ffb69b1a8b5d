import { TandemError } from "../core/errors.js";
import type { PathSegment } from "./locate.js";
import { mapStrings } from "./merge.js";
import { registerSecret } from "./redact.js";

/** `${env:NAME}` or `${env:NAME:-default}`. Other placeholders (`${version}`, `${port}`…) are left alone. */
const ENV_PLACEHOLDER = /\$\{env:([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface InterpolationProblem {
  path: PathSegment[];
  message: string;
}

function interpolateString(
  text: string,
  env: NodeJS.ProcessEnv,
  path: PathSegment[],
  problems: InterpolationProblem[],
): string {
  return text.replace(ENV_PLACEHOLDER, (placeholder, inner: string) => {
    const separator = inner.indexOf(":-");
    const name = separator === -1 ? inner : inner.slice(0, separator);
    const fallback = separator === -1 ? undefined : inner.slice(separator + 2);
    if (!ENV_NAME.test(name)) {
      problems.push({
        path,
        message: `invalid placeholder ${placeholder}; write \${env:NAME} or \${env:NAME:-default}`,
      });
      return placeholder;
    }
    const value = env[name];
    // Like the shell's `:-`, an empty variable also takes the default.
    if (fallback !== undefined && (value === undefined || value === "")) return fallback;
    if (value === undefined) {
      problems.push({ path, message: `environment variable ${name} is not set` });
      return placeholder;
    }
    registerSecret(value, name);
    return value;
  });
}

/**
 * Replaces `${env:NAME}` in every string value (keys are left alone) and registers each value taken from
 * the environment as a secret. Returns a new value; problems name the variable, never its value.
 */
export function interpolateEnv<T>(
  value: T,
  env: NodeJS.ProcessEnv,
  path: PathSegment[] = [],
): { value: T; problems: InterpolationProblem[] } {
  const problems: InterpolationProblem[] = [];
  const interpolated = mapStrings(value, (text, at) => interpolateString(text, env, at, problems), path);
  return { value: interpolated as T, problems };
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
