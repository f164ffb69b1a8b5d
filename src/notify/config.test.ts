// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML holds Tandem's own ${env:X} placeholders
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config/loader.js";
import { clearSecrets } from "../config/redact.js";
import { FILE, yaml } from "../config/test-helpers.js";
import { NotificationError } from "./errors.js";
import { createNotifier } from "./index.js";
import { notification, type Receiver, startReceiver } from "./test-helpers.js";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver({ status: 503, body: "down" });
});
afterAll(async () => {
  clearSecrets();
  await receiver.close();
});

describe("channels from a configuration file", () => {
  it("send with the ${env:X} secrets interpolated, and keep them out of errors", async () => {
    const token = "xoxb-SECRET-0123456789";
    const text = yaml`
      project: shop
      environments: { production: {} }
      services:
        api:
          target: { type: sim }
      notifications:
        - type: slack
          name: ops
          url: "${receiver.origin}/services/\${env:SLACK_TOKEN}"
          timeout: 2s
        - type: webhook
          url: "${receiver.origin}/tandem"
          secret: "\${env:WEBHOOK_SECRET}"
          headers: { Authorization: "Bearer \${env:SLACK_TOKEN}" }
    `;
    const config = parseConfig(text, FILE, { env: { SLACK_TOKEN: token, WEBHOOK_SECRET: "whsec_config" } });
    expect(config.notifications.map((channel) => [channel.name, channel.type, channel.timeout])).toEqual([
      ["ops", "slack", 2000],
      ["webhook", "webhook", 10_000],
    ]);

    for (const channel of config.notifications) {
      const error = await createNotifier(channel)
        .send(notification(), new AbortController().signal)
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(NotificationError);
      expect((error as NotificationError).message).toContain("HTTP 503: down");
      expect((error as NotificationError).message).not.toContain(token);
    }
    expect(receiver.requests.map((request) => request.url)).toEqual([`/services/${token}`, "/tandem"]);
    expect(receiver.requests[1]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(receiver.requests[1]!.headers["tandem-signature"]).toMatch(/^v1=/);
  });
});
