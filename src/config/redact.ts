import { MIN_SECRET_LENGTH, maskText } from "./mask.js";
import { mapStrings } from "./merge.js";

/**
 * The values this process knows to be secret, so logs, events, error messages and files of process
 * output can be masked (`redactSecrets`) before they leave the process. A value is secret when it was
 * declared so: read with `${secret:NAME}`, or given to a field Tandem knows is a credential (a
 * webhook URL, a token, a password: `credential` in `schema-primitives.ts`) whatever its source.
 * Values read with `${env:NAME}` are ordinary settings and stay readable.
 */

const secrets = new Set<string>();
/** Each secret value and the placeholder it was read with, to write the placeholder back before storing. */
const placeholders = new Map<string, string>();
/** Every `${env:NAME}` value of the configuration and its placeholder, in case a credential field holds it. */
const envValues = new Map<string, string>();

/** Registers a secret; `placeholder` (`${secret:NAME}`, or a bare variable name) is what stores hold instead. */
export function registerSecret(value: string, placeholder?: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  if (placeholder === undefined || placeholders.has(value)) return;
  placeholders.set(value, placeholder.startsWith("${") ? placeholder : `\${secret:${placeholder}}`);
}

/** Notes a value read with `${env:NAME}` (not a secret by itself; see `registerCredential`). */
export function noteEnvValue(value: string, placeholder: string): void {
  if (value.length >= MIN_SECRET_LENGTH && !envValues.has(value)) envValues.set(value, placeholder);
}

/**
 * Registers the value of a credential field. Every `${env:}` value inside it is registered too, with
 * its placeholder, so a stored copy holds `${env:SLACK_URL}` rather than the URL.
 */
export function registerCredential(value: string): void {
  for (const [envValue, placeholder] of envValues) {
    if (value.includes(envValue)) registerSecret(envValue, placeholder);
  }
  registerSecret(value);
}

/** The secret values known so far (to hand to a hook daemon, which masks its log). */
export function knownSecrets(): string[] {
  return [...secrets];
}

/**
 * Puts the placeholder back wherever a secret stands in a string (deep), so what is stored holds
 * `${secret:NAME}`, not the secret; interpolate it again when it is used.
 */
export function restoreEnvPlaceholders<T>(value: T): T {
  if (placeholders.size === 0) return value;
  const ordered = [...placeholders].sort(([a], [b]) => b.length - a.length);
  return mapStrings(value, (text) => {
    let result = text;
    for (const [secret, placeholder] of ordered) {
      if (result.includes(secret)) result = result.split(secret).join(placeholder);
    }
    return result;
  }) as T;
}

/** Whether any secret is known: when none is, redacting and restoring placeholders change nothing. */
export function secretsKnown(): boolean {
  return secrets.size > 0 || placeholders.size > 0;
}

export function redactSecrets(text: string): string {
  if (secrets.size === 0) return text;
  return maskText(text, [...secrets]);
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
  placeholders.clear();
  envValues.clear();
}
