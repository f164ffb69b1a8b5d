import { createHmac, timingSafeEqual } from "node:crypto";
import type { TandemCloudEvent } from "./cloudevent.js";
import { WebhookVerificationError } from "./errors.js";

/**
 * Webhook signatures, Stripe style (as docs/webhooks.md documents them):
 *   Tandem-Timestamp: <unix seconds>
 *   Tandem-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * Several `v1=` values, separated by spaces or commas, may appear (while a secret is rotated).
 * This is not the Standard Webhooks scheme (webhook-id / webhook-timestamp / webhook-signature
 * headers, base64 HMAC of "<id>.<timestamp>.<body>" with a base64 `whsec_` secret), and the docs do
 * not promise it: receivers built on the documented headers keep working.
 */
export const TIMESTAMP_HEADER = "Tandem-Timestamp";
export const SIGNATURE_HEADER = "Tandem-Signature";
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function computeSignature(secret: string, timestamp: number | string, body: string | Buffer): string {
  return createHmac("sha256", secret)
    .update(`${timestamp}.`)
    .update(typeof body === "string" ? Buffer.from(body, "utf8") : body)
    .digest("hex");
}

/** The two signature headers for `body`, signed now (`nowMs`). */
export function signatureHeaders(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: `v1=${computeSignature(secret, timestamp, body)}`,
  };
}

/** Node's `req.headers`, a fetch `Headers`, or a plain object with any case. */
export type HeaderSource =
  | Headers
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null };

/** Remembers delivery ids already accepted; a `Set<string>` will do, or an adapter over a store. */
export interface SeenIds {
  has(id: string): boolean;
  add(id: string): unknown;
}

export interface VerifyWebhookOptions {
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string | Buffer;
  headers: HeaderSource;
  secret: string;
  /** Milliseconds since the epoch; default `Date.now()`. */
  now?: number;
  /** How far the timestamp may be from `now`, either way. Default 300. */
  toleranceSeconds?: number;
  /** Ids already accepted: a delivery whose id is in it is a replay. Accepted ids are added. */
  seen?: SeenIds;
}

/**
 * Checks a webhook delivery and returns its CloudEvent; throws WebhookVerificationError (`reason`:
 * missing_header, malformed_header, bad_signature, stale_timestamp, replayed_id, malformed_body).
 */
export function verifyWebhook(options: VerifyWebhookOptions): TandemCloudEvent {
  const timestampText = header(options.headers, TIMESTAMP_HEADER);
  const signatureText = header(options.headers, SIGNATURE_HEADER);
  if (timestampText === undefined) {
    throw new WebhookVerificationError("missing_header", `no ${TIMESTAMP_HEADER} header`);
  }
  if (signatureText === undefined) {
    throw new WebhookVerificationError("missing_header", `no ${SIGNATURE_HEADER} header`);
  }
  if (!/^\d{1,12}$/.test(timestampText.trim())) {
    throw new WebhookVerificationError("malformed_header", `${TIMESTAMP_HEADER} is not unix seconds`);
  }
  const timestamp = Number(timestampText.trim());
  const candidates = signatureText
    .split(/[\s,]+/)
    .filter((part) => part.startsWith("v1="))
    .map((part) => part.slice(3));
  if (candidates.length === 0) {
    throw new WebhookVerificationError("malformed_header", `${SIGNATURE_HEADER} has no v1= signature`);
  }

  const expected = Buffer.from(computeSignature(options.secret, timestamp, options.body), "hex");
  const matches = candidates.some((candidate) => {
    if (!/^[0-9a-fA-F]{64}$/.test(candidate)) return false;
    return timingSafeEqual(Buffer.from(candidate, "hex"), expected);
  });
  if (!matches) {
    throw new WebhookVerificationError(
      "bad_signature",
      "the signature does not match the body and timestamp (wrong secret, or the body was changed)",
    );
  }

  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const skew = nowSeconds - timestamp;
  if (Math.abs(skew) > tolerance) {
    throw new WebhookVerificationError(
      "stale_timestamp",
      `signed ${skew}s ${skew >= 0 ? "ago" : "in the future"}, more than the ${tolerance}s tolerance (replay?)`,
    );
  }

  let event: TandemCloudEvent;
  try {
    event = JSON.parse(typeof options.body === "string" ? options.body : options.body.toString("utf8"));
  } catch {
    throw new WebhookVerificationError("malformed_body", "the body is not JSON");
  }
  if (typeof event !== "object" || event === null || typeof event.id !== "string") {
    throw new WebhookVerificationError("malformed_body", "the body is not a CloudEvent with an id");
  }
  if (options.seen) {
    if (options.seen.has(event.id)) {
      throw new WebhookVerificationError("replayed_id", `event ${event.id} was already received`);
    }
    options.seen.add(event.id);
  }
  return event;
}

function header(source: HeaderSource, name: string): string | undefined {
  if (typeof (source as { get?: unknown }).get === "function") {
    return (source as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(source as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(", ") : value;
  }
  return undefined;
}
