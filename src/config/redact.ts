/**
 * Values that came from the environment (tokens, webhook URLs) are registered here so logs, events and
 * error messages can be scrubbed with `redactSecrets` before they leave the process.
 */

const MIN_SECRET_LENGTH = 4;
const secrets = new Set<string>();

export function registerSecret(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) secrets.add(value);
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
}
