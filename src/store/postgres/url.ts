/** The connection URL holds the password: what of it may be shown, and what must be masked. */

/** The URL with its password replaced by `***` (and query parameters dropped: they may hold one too). */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "postgres://***";
  }
}

/** Every text that must never be shown: the URL itself, and its password as written and decoded. */
export function urlSecrets(url: string): string[] {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    if (parsed.password) secrets.push(parsed.password, decodeURIComponent(parsed.password));
    const query = parsed.searchParams.get("password");
    if (query) secrets.push(query);
  } catch {
    // An unparsable URL: only the whole text is known to be secret.
  }
  return secrets.filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with every secret of the URL replaced by `***`. */
export function maskSecrets(text: string, url: string): string {
  let masked = text;
  for (const secret of urlSecrets(url)) masked = masked.split(secret).join("***");
  return masked;
}
