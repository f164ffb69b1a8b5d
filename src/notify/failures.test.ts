import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotificationError } from "./errors.js";
import { createNotifier } from "./index.js";
import { channel, closedPort, notification, type Receiver, startReceiver } from "./test-helpers.js";
import type { Notifier } from "./types.js";

/** Secrets a channel's URL and headers carry: none may appear in an error. */
const PATH_TOKEN = "T0PSECRETPATHTOKEN";
const QUERY_TOKEN = "Q0ERYSECRETSIG";
const HEADER_TOKEN = "Bearer H3ADERSECRETTOKEN";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

function notifiers(origin: string, timeout = 5000): Notifier[] {
  const url = `${origin}/hooks/${PATH_TOKEN}?sig=${QUERY_TOKEN}`;
  return [
    createNotifier(channel("slack", { name: "ops-slack", url, timeout })),
    createNotifier(channel("teams", { name: "ops-teams", url, timeout })),
    createNotifier(
      channel("webhook", {
        name: "ops-webhook",
        url,
        secret: "whsec_abcdefgh",
        headers: { Authorization: HEADER_TOKEN },
        timeout,
      }),
    ),
  ];
}

async function failure(notifier: Notifier, signal: AbortSignal): Promise<NotificationError> {
  const error = await notifier.send(notification(), signal).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NotificationError);
  const failed = error as NotificationError;
  expect(failed.code).toBe("TANDEM_ERR_NOTIFY_FAILED");
  expect(failed.channel).toBe(notifier.name);
  expect(failed.message).toContain(`"${notifier.name}"`);
  const everything = `${failed.message} ${failed.hint ?? ""} ${inspect(failed, { depth: 5 })}`;
  for (const secret of [PATH_TOKEN, QUERY_TOKEN, "H3ADERSECRETTOKEN", "whsec_abcdefgh"]) {
    expect(everything).not.toContain(secret);
  }
  return failed;
}

const never = new AbortController().signal;

describe.each([0, 1, 2])("HTTP channel failures (%#: slack, teams, webhook)", (index) => {
  it("throws on a refused connection, naming only the origin", async () => {
    const port = await closedPort();
    const error = await failure(notifiers(`http://127.0.0.1:${port}`)[index]!, never);
    expect(error.message).toContain(`POST to http://127.0.0.1:${port}: connection failed (ECONNREFUSED)`);
  });

  it("throws on HTTP 500 with the status, and scrubs an answer that echoes the URL", async () => {
    // A receiver that echoes what it got: the URL, and the webhook's Authorization header.
    const echoed = index === 2 ? ` auth=${HEADER_TOKEN}` : "";
    receiver.answer = { status: 500, body: `boom at /hooks/${PATH_TOKEN}?sig=${QUERY_TOKEN}${echoed}` };
    const error = await failure(notifiers(receiver.origin)[index]!, never);
    expect(error.status).toBe(500);
    expect(error.message).toContain("HTTP 500: boom at ***");
  });

  it("throws on a 3xx or 4xx answer too", async () => {
    receiver.answer = { status: 404, body: "no such hook" };
    expect((await failure(notifiers(receiver.origin)[index]!, never)).status).toBe(404);
    receiver.answer = { status: 302, body: "" };
    // A redirect is not followed (the webhook's headers must not go elsewhere): it is a failure.
    const redirected = await failure(notifiers(receiver.origin)[index]!, never);
    expect(redirected.status).toBe(302);
    expect(redirected.message).toContain("HTTP 302");
  });

  it("gives up on a receiver that never answers after the channel's timeout", async () => {
    receiver.answer = "hang";
    const started = Date.now();
    const error = await failure(notifiers(receiver.origin, 300)[index]!, never);
    const took = Date.now() - started;
    expect(error.message).toContain("no answer within 300ms");
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
  });

  it("gives up on a receiver that sends headers and then stalls the body", async () => {
    receiver.answer = "stall";
    const started = Date.now();
    const error = await failure(notifiers(receiver.origin, 300)[index]!, never);
    expect(error.message).toContain("no answer within 300ms");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("stops when the caller's signal aborts, well before its own timeout", async () => {
    receiver.answer = "hang";
    const controller = new AbortController();
    const requestsBefore = receiver.requests.length;
    const pending = failure(notifiers(receiver.origin, 60_000)[index]!, controller.signal);
    // Abort once the request has reached the receiver.
    const deadline = Date.now() + 5000;
    while (receiver.requests.length === requestsBefore && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const started = Date.now();
    controller.abort();
    const error = await pending;
    expect(error.message).toContain("aborted");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("does not even connect when the signal is already aborted", async () => {
    receiver.answer = { status: 200 };
    const before = receiver.requests.length;
    const error = await failure(notifiers(receiver.origin)[index]!, AbortSignal.abort());
    expect(error.message).toContain("aborted");
    expect(receiver.requests.length).toBe(before);
  });
});
