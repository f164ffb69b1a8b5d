import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearSecrets, registerSecret } from "../config/redact.js";
import { createNotifier } from "./index.js";
import { channel, event, notification, type Receiver, startReceiver } from "./test-helpers.js";

const SECRET = "db-pass-7777777";
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  registerSecret(SECRET, "DB_PASSWORD");
});
afterAll(async () => {
  clearSecrets();
  await receiver.close();
});

describe("what a notification says is scrubbed of known secrets before it is sent", () => {
  it.each(["slack", "teams", "webhook"] as const)("%s", async (type) => {
    receiver.requests.length = 0;
    const config =
      type === "webhook"
        ? channel("webhook", { url: `${receiver.origin}/in`, headers: {} })
        : channel(type, { url: `${receiver.origin}/in` });
    const leaky = notification({
      events: [
        event("hook.failed", { severity: "error", message: `psql failed: password ${SECRET} refused` }),
      ],
    });
    leaky.release!.services[0]!.version = `2.4.0-${SECRET}`;
    await createNotifier(config).send(leaky, new AbortController().signal);

    const body = receiver.requests[0]!.body;
    expect(body).not.toContain(SECRET);
    expect(body).toContain("psql failed: password *** refused");
    expect(body).toContain("2.4.0-***");
    expect(body).toContain("https://tandem.example.com/releases/rel-42");
  });
});
