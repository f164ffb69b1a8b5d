import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { TandemCloudEvent } from "./cloudevent.js";
import { verifyWebhook } from "./signature.js";
import { channel, manyEvents, notification, type Receiver, startReceiver, T0 } from "./test-helpers.js";
import { WebhookNotifier } from "./webhook.js";

let receiver: Receiver;
const never = new AbortController().signal;
const SECRET = "whsec_0123456789abcdef";

beforeAll(async () => {
  receiver = await startReceiver({ status: 204 });
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.requests.length = 0;
});

function notifier(
  own: { secret?: string; headers?: Record<string, string> } = {},
  clock = new ManualClock(T0),
) {
  return new WebhookNotifier(
    channel("webhook", { url: `${receiver.origin}/hooks/tandem`, headers: {}, ...own }),
    clock,
  );
}

describe("webhook notifier, as received", () => {
  it("POSTs a CloudEvents 1.0 structured event", async () => {
    await notifier().send(notification(), never);

    const request = receiver.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/hooks/tandem");
    expect(request.headers["content-type"]).toBe("application/cloudevents+json");
    expect(request.headers["idempotency-key"]).toBe("ntf-1-rel-42-release.failed");
    // No secret: no signature headers.
    expect(request.headers["tandem-signature"]).toBeUndefined();

    const event = JSON.parse(request.body) as TandemCloudEvent;
    expect(event).toEqual({
      specversion: "1.0",
      id: "ntf-1-rel-42-release.failed",
      source: "tandem/shop/production",
      type: "dev.tandem.release.failed",
      subject: "rel-42",
      time: "2026-12-01T05:20:12.000Z",
      datacontenttype: "application/json",
      data: {
        events: notification().events,
        release: notification().release,
        url: "https://tandem.example.com/releases/rel-42",
      },
    });
  });

  it("types a digest dev.tandem.digest, timed at its last event", async () => {
    await notifier().send(notification({ id: "d1", events: manyEvents(4) }), never);
    const event = JSON.parse(receiver.requests[0]!.body) as TandemCloudEvent;
    expect(event.type).toBe("dev.tandem.digest");
    expect(event.time).toBe("2026-12-01T05:20:15.000Z");
    expect(event.data.events).toHaveLength(4);
  });

  it("signs with the secret at the clock's time: verifyWebhook accepts what arrived", async () => {
    const clock = new ManualClock(T0 + 5_000);
    await notifier({ secret: SECRET }, clock).send(notification(), never);

    const request = receiver.requests[0]!;
    expect(request.headers["tandem-timestamp"]).toBe(String(Math.floor((T0 + 5_000) / 1000)));
    expect(request.headers["tandem-signature"]).toMatch(/^v1=[0-9a-f]{64}$/);
    const event = verifyWebhook({
      body: request.body,
      headers: request.headers,
      secret: SECRET,
      now: T0 + 6_000,
    });
    expect(event.id).toBe("ntf-1-rel-42-release.failed");

    expect(() =>
      verifyWebhook({ body: request.body, headers: request.headers, secret: "another", now: T0 + 6_000 }),
    ).toThrow(expect.objectContaining({ reason: "bad_signature" }));
  });

  it("sends the configured extra headers; its own headers win over them", async () => {
    await notifier({
      headers: {
        Authorization: "Bearer tok-123456789",
        "X-Team": "payments",
        "content-type": "text/plain",
        "Idempotency-Key": "x",
      },
    }).send(notification(), never);
    const request = receiver.requests[0]!;
    expect(request.headers.authorization).toBe("Bearer tok-123456789");
    expect(request.headers["x-team"]).toBe("payments");
    expect(request.headers["content-type"]).toBe("application/cloudevents+json");
    expect(request.headers["idempotency-key"]).toBe("ntf-1-rel-42-release.failed");
  });
});
