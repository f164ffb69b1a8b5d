/**
 * Header rewriting on the hot path, on Node's flat `rawHeaders` lists ([name, value, name, value, ...]):
 * no headers object is built on either side (Node builds `req.headers` lazily, only when read), and the flat
 * result goes to undici's `dispatch` / `res.writeHead` as is, which take it without a per-header `setHeader`.
 */

/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1), plus `expect`, answered here. */
export const HOP_BY_HOP_FIELDS: readonly string[] = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
];
const HOP_BY_HOP = new Set(HOP_BY_HOP_FIELDS);

/**
 * Fields of which Node keeps only the first occurrence (as `IncomingMessage.headers` does); so do we. Each
 * has a bit, so one pass remembers which it has seen in a number.
 */
export const FIRST_ONLY_FIELDS: readonly string[] = [
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "referer",
  "retry-after",
  "server",
  "user-agent",
];
const FIRST_ONLY = bits(FIRST_ONLY_FIELDS);

function bits(names: readonly string[]): Map<string, number> {
  return new Map(names.map((name, index) => [name, 1 << index]));
}

/** Copies a flat raw header list without hop-by-hop fields, including any named in `Connection`. */
export function endToEndHeaders(raw: readonly string[]): string[] {
  const result: string[] = [];
  let connection: string | undefined;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name)) {
      if (name === "connection")
        connection = connection === undefined ? raw[i + 1] : `${connection}, ${raw[i + 1]}`;
      continue;
    }
    const bit = FIRST_ONLY.get(name);
    if (bit !== undefined) {
      if (seen & bit) continue;
      seen |= bit;
    }
    result.push(raw[i]!, raw[i + 1]!);
  }
  return connection === undefined ? result : withoutListed(result, connection);
}

/** Drops the fields that the `Connection` header names (besides the usual keep-alive / close). */
function withoutListed(headers: string[], connection: string): string[] {
  if (connection === "keep-alive" || connection === "close") return headers;
  const listed = new Set(
    connection
      .toLowerCase()
      .split(",")
      .map((token) => token.trim()),
  );
  const result: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!listed.has(headers[i]!.toLowerCase())) result.push(headers[i]!, headers[i + 1]!);
  }
  return result;
}

/** What the proxy needs to know about a client request, read in the same pass as its headers. */
export interface ForwardedRequest {
  /** Flat list for the upstream request's `headers` (undici's `dispatch`). */
  headers: string[];
  /** The first Content-Length value, if any. */
  contentLength: string | undefined;
  /** True when the request has a Transfer-Encoding (its body is chunked). */
  chunked: boolean;
  /** False when `headers` has no Host (undici then sends `hostHeader(upstream)`, as `http.request` did). */
  hasHost: boolean;
}

/**
 * Request headers for the upstream: end-to-end ones plus X-Forwarded-For (appended), -Proto and -Host
 * (kept when an earlier proxy set them). The original Host is kept so upstreams see the public name.
 */
export function upstreamRequestHeaders(
  raw: readonly string[],
  clientAddress: string | undefined,
): ForwardedRequest {
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let host: string | undefined;
  let contentLength: string | undefined;
  let chunked = false;
  const headers: string[] = [];
  let connection: string | undefined;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (HOP_BY_HOP.has(name)) {
      if (name === "connection") connection = connection === undefined ? value : `${connection}, ${value}`;
      else if (name === "transfer-encoding") chunked = true;
      continue;
    }
    // Repeated X-Forwarded-* fields are joined, as Node joins them in `req.headers`.
    if (name === "x-forwarded-for")
      forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
    else if (name === "x-forwarded-proto")
      forwardedProto = forwardedProto === undefined ? value : `${forwardedProto}, ${value}`;
    else if (name === "x-forwarded-host")
      forwardedHost = forwardedHost === undefined ? value : `${forwardedHost}, ${value}`;
    else if (FIRST_ONLY.has(name)) {
      const bit = FIRST_ONLY.get(name)!;
      if (seen & bit) continue;
      seen |= bit;
      if (name === "host") host = value;
      else if (name === "content-length") contentLength = value;
      headers.push(raw[i]!, value);
    } else {
      headers.push(raw[i]!, value);
    }
  }
  const forwarded = connection === undefined ? headers : withoutListed(headers, connection);
  const client = clientAddress ?? "unknown";
  forwarded.push("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${client}` : client);
  forwarded.push("x-forwarded-proto", forwardedProto || "http");
  const publicHost = forwardedHost || host;
  if (publicHost) forwarded.push("x-forwarded-host", publicHost);
  const hasHost = host !== undefined && (forwarded === headers || hasField(forwarded, "host"));
  return { headers: forwarded, contentLength, chunked, hasHost };
}

function hasField(headers: readonly string[], lowerCaseName: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === lowerCaseName) return true;
  return false;
}

/** The Host header `http.request` (and undici, from a pool's origin) sends: IPv6 in brackets, port unless 80. */
export function hostHeader(host: string, port: number): string {
  const name = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return port === 80 ? name : `${name}:${port}`;
}
