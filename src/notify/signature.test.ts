import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { toCloudEvent } from "./cloudevent.js";
import { WebhookVerificationError } from "./errors.js";
import { signatureHeaders, verifyWebhook } from "./signature.js";
import { notification, T0 } from "./test-helpers.js";

const SECRET = "whsec_test_secret";
const body = JSON.stringify(toCloudEvent(notification()));
const signed = signatureHeaders(SECRET, body, T0);
const timestamp = Number(signed["Tandem-Timestamp"]);

function rejection(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as WebhookVerificationError).code).toBe("TANDEM_ERR_WEBHOOK_VERIFY");
    return (error as WebhookVerificationError).reason;
  }
  throw new Error("expected verifyWebhook to throw");
}

describe("verifyWebhook", () => {
  it("accepts a signed delivery and returns its CloudEvent", () => {
    const event = verifyWebhook({ body, headers: signed, secret: SECRET, now: T0 + 1000 });
    expect(event.id).toBe(notification().id);
    expect(event.type).toBe("dev.tandem.release.failed");
  });

  it("computes the documented HMAC: hex HMAC-SHA256(secret, `<timestamp>.<body>`)", () => {
    const expected = createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex");
    expect(signed["Tandem-Signature"]).toBe(`v1=${expected}`);
  });

  it("takes Node's lower-case headers, a fetch Headers object and a Buffer body", () => {
    const lower = {
      "tandem-timestamp": signed["Tandem-Timestamp"]!,
      "tandem-signature": signed["Tandem-Signature"]!,
    };
    expect(verifyWebhook({ body: Buffer.from(body), headers: lower, secret: SECRET, now: T0 }).id).toBe(
      notification().id,
    );
    expect(verifyWebhook({ body, headers: new Headers(lower), secret: SECRET, now: T0 }).id).toBe(
      notification().id,
    );
  });

  it("rejects a changed body", () => {
    const tampered = body.replace("release.failed", "release.succeeded");
    expect(rejection(() => verifyWebhook({ body: tampered, headers: signed, secret: SECRET, now: T0 }))).toBe(
      "bad_signature",
    );
  });

  it("rejects a changed timestamp, even a current one", () => {
    const headers = { ...signed, "Tandem-Timestamp": String(timestamp + 60) };
    expect(rejection(() => verifyWebhook({ body, headers, secret: SECRET, now: T0 + 60_000 }))).toBe(
      "bad_signature",
    );
  });

  it("rejects the wrong secret and a signature that is not hex", () => {
    expect(rejection(() => verifyWebhook({ body, headers: signed, secret: "other", now: T0 }))).toBe(
      "bad_signature",
    );
    const headers = { ...signed, "Tandem-Signature": "v1=zz" };
    expect(rejection(() => verifyWebhook({ body, headers, secret: SECRET, now: T0 }))).toBe("bad_signature");
  });

  it("rejects a delivery signed longer ago than the tolerance (a replay), either way in time", () => {
    const late = T0 + 301_000;
    expect(rejection(() => verifyWebhook({ body, headers: signed, secret: SECRET, now: late }))).toBe(
      "stale_timestamp",
    );
    expect(rejection(() => verifyWebhook({ body, headers: signed, secret: SECRET, now: T0 - 301_000 }))).toBe(
      "stale_timestamp",
    );
    // Within a wider tolerance it passes.
    expect(
      verifyWebhook({ body, headers: signed, secret: SECRET, now: late, toleranceSeconds: 600 }).id,
    ).toBeDefined();
  });

  it("rejects an id already seen, and remembers only what it accepted", () => {
    const seen = new Set<string>();
    verifyWebhook({ body, headers: signed, secret: SECRET, now: T0, seen });
    expect(seen.has(notification().id)).toBe(true);
    expect(rejection(() => verifyWebhook({ body, headers: signed, secret: SECRET, now: T0, seen }))).toBe(
      "replayed_id",
    );
    const other = new Set<string>();
    rejection(() =>
      verifyWebhook({ body: `${body} `, headers: signed, secret: SECRET, now: T0, seen: other }),
    );
    expect(other.size).toBe(0);
  });

  it("accepts any of several v1 signatures (secret rotation)", () => {
    const old = signatureHeaders("old-secret", body, T0)["Tandem-Signature"];
    const headers = { ...signed, "Tandem-Signature": `${old} ${signed["Tandem-Signature"]}` };
    expect(verifyWebhook({ body, headers, secret: SECRET, now: T0 }).id).toBe(notification().id);
  });

  it("says which header is missing or malformed", () => {
    expect(
      rejection(() =>
        verifyWebhook({ body, headers: { "Tandem-Signature": "v1=00" }, secret: SECRET, now: T0 }),
      ),
    ).toBe("missing_header");
    expect(
      rejection(() =>
        verifyWebhook({ body, headers: { "Tandem-Timestamp": String(timestamp) }, secret: SECRET, now: T0 }),
      ),
    ).toBe("missing_header");
    expect(
      rejection(() =>
        verifyWebhook({ body, headers: { ...signed, "Tandem-Timestamp": "yesterday" }, secret: SECRET }),
      ),
    ).toBe("malformed_header");
    expect(
      rejection(() =>
        verifyWebhook({ body, headers: { ...signed, "Tandem-Signature": "sha256=ab" }, secret: SECRET }),
      ),
    ).toBe("malformed_header");
  });

  it("rejects a correctly signed body that is not a CloudEvent", () => {
    const headers = signatureHeaders(SECRET, "[1,2]", T0);
    expect(rejection(() => verifyWebhook({ body: "[1,2]", headers, secret: SECRET, now: T0 }))).toBe(
      "malformed_body",
    );
  });
});
