/** `host:port`, with an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The errno-style code of an error or of its cause chain (fetch wraps socket errors in `cause`). */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const READABLE_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host lookup failed",
  ETIMEDOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_HEADERS_TIMEOUT: "no response headers",
};

/** A short, human description of a network failure: `connection refused`, `host not found`… */
export function describeNetworkError(error: unknown): string {
  const code = errorCode(error);
  if (code && READABLE_CODES[code]) return READABLE_CODES[code];
  let innermost = error;
  while ((innermost as { cause?: unknown })?.cause) innermost = (innermost as { cause: unknown }).cause;
  const message = (innermost as Error)?.message ?? String(innermost);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
