import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1), plus `expect`, answered here. */
const HOP_BY_HOP = new Set([
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
]);

/** Copies `headers` without hop-by-hop ones, including any named in the `Connection` header. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connection = headers.connection;
  const listed = connection && connection !== "keep-alive" && connection !== "close" ? connection : undefined;
  const result: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name)) continue;
    if (listed !== undefined && listedInConnection(listed, name)) continue;
    result[name] = headers[name];
  }
  return result;
}

function listedInConnection(connection: string, name: string): boolean {
  return connection
    .toLowerCase()
    .split(",")
    .some((token) => token.trim() === name);
}

/**
 * Request headers for the upstream: end-to-end ones plus X-Forwarded-For (appended), -Proto and -Host
 * (kept when an earlier proxy set them). The original Host is kept so upstreams see the public name.
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  clientAddress: string | undefined,
): OutgoingHttpHeaders {
  const result = endToEndHeaders(headers);
  const client = clientAddress ?? "unknown";
  const forwardedFor = headers["x-forwarded-for"];
  result["x-forwarded-for"] = forwardedFor ? `${forwardedFor}, ${client}` : client;
  if (!headers["x-forwarded-proto"]) result["x-forwarded-proto"] = "http";
  if (!headers["x-forwarded-host"] && headers.host) result["x-forwarded-host"] = headers.host;
  return result;
}
