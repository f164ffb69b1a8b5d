import { mapStrings } from "./merge.js";

/**
 * Values that came from the environment (tokens, webhook URLs) are registered here so logs, events and
 * error messages can be scrubbed with `redactSecrets` before they leave the process.
 */

const MIN_SECRET_LENGTH = 4;
const secrets = new Set<string>();
/** Each secret value and the variable it came from, to write the placeholder back before storing. */
const variables = new Map<string, string>();

export function registerSecret(value: string, variable?: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  if (variable !== undefined && !variables.has(value)) variables.set(value, variable);
}

/**
 * Puts `${env:NAME}` back wherever a value taken from the environment stands in a string (deep), so what
 * is stored holds the placeholder, not the secret; interpolate it again when it is used.
 */
export function restoreEnvPlaceholders<T>(value: T): T {
  if (variables.size === 0) return value;
  const ordered = [...variables].sort(([a], [b]) => b.length - a.length);
  return mapStrings(value, (text) => {
    let result = text;
    for (const [secret, variable] of ordered) {
      if (result.includes(secret)) result = result.split(secret).join(`\${env:${variable}}`);
    }
    return result;
  }) as T;
}

export function redactSecrets(text: string): string {
  if (secrets.size === 0) return text;
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of ordered) {
    if (result.includes(secret)) result = result.split(secret).join("***");
  }
  return result;
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
  variables.clear();
}
