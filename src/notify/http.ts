import { redactSecrets } from "../config/redact.js";
import { withTimeout } from "../core/abort.js";
import { NotificationError } from "./errors.js";

/** How much of a receiver's error answer goes into the error message. */
const EXCERPT_CHARS = 200;

export interface PostRequest {
  /** The channel's name, for error messages. */
  channel: string;
  url: string;
  /** The exact bytes sent (a signature covers them). */
  body: string;
  headers: Record<string, string>;
  /** One attempt takes at most this long (ms). */
  timeoutMs: number;
}

/**
 * POSTs `body` and resolves on a 2xx answer. Throws NotificationError on anything else: refused,
 * non-2xx, timeout or abort. Errors name only the URL's origin (scheme, host, port): webhook URLs
 * carry their secret in the path or query, and configured headers may hold tokens.
 */
export async function post(request: PostRequest, parent: AbortSignal): Promise<void> {
  const where = safeOrigin(request.url);
  if (parent.aborted) throw new NotificationError(request.channel, `POST to ${where}: aborted`);
  let status: number;
  let excerpt: string;
  try {
    ({ status, excerpt } = await withTimeout(parent, request.timeoutMs, async (signal) => {
      const response = await fetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        signal,
        redirect: "manual",
      });
      // Read the answer within the same deadline; a receiver that sends headers and then stalls
      // must not hold the attempt open.
      const text = await response.text();
      return { status: response.status, excerpt: text.slice(0, EXCERPT_CHARS * 10) };
    }));
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (parent.aborted) {
      throw new NotificationError(request.channel, `POST to ${where}: aborted`);
    }
    if (name === "AbortError" || name === "TimeoutError") {
      throw new NotificationError(
        request.channel,
        `POST to ${where}: no answer within ${request.timeoutMs}ms`,
        {
          hint: "the receiver did not answer in time; raise the channel's `timeout` or check the receiver",
        },
      );
    }
    throw new NotificationError(request.channel, `POST to ${where}: ${networkReason(error)}`, {
      hint: "check that the receiver is reachable from this machine",
    });
  }
  if (status >= 200 && status < 300) return;
  // Scrub before cutting, so that a secret cut in two at the edge cannot leak its first half.
  const said = scrub(excerpt, request).slice(0, EXCERPT_CHARS);
  throw new NotificationError(
    request.channel,
    said ? `POST to ${where}: HTTP ${status}: ${said}` : `POST to ${where}: HTTP ${status}`,
    { status },
  );
}

/** `https://hooks.slack.com` for `https://hooks.slack.com/services/T000/B000/XXXX?x=y`. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/** The network reason without anything from the URL: undici's `cause.code`/message (`ECONNREFUSED`). */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown }) : undefined;
  if (cause && typeof cause.code === "string") return `connection failed (${cause.code})`;
  return "connection failed";
}

/** A receiver may echo the request: drop every secret of the request from its answer. */
function scrub(text: string, request: PostRequest): string {
  let result = redactSecrets(text.replace(/\s+/g, " ").trim());
  const parsed = URL.canParse(request.url) ? new URL(request.url) : undefined;
  const secrets = [
    parsed?.pathname,
    parsed?.search,
    parsed?.username,
    parsed?.password,
    ...Object.values(request.headers).filter((value) => value.length >= 8),
  ].filter((value): value is string => value !== undefined && value.length > 1);
  for (const secret of secrets) result = result.split(secret).join("***");
  return result;
}
