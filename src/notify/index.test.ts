import { describe, expect, it } from "vitest";
import type { NotificationChannelConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { EmailNotifier } from "./email.js";
import { createNotifier, NOTIFIER_TYPES } from "./index.js";
import { SlackNotifier } from "./slack.js";
import { TeamsNotifier } from "./teams.js";
import { channel } from "./test-helpers.js";
import { WebhookNotifier } from "./webhook.js";

describe("createNotifier", () => {
  it("builds the notifier of each type, named after the channel", () => {
    const url = "https://example.com/hook";
    const slack = createNotifier(channel("slack", { name: "a", url }));
    expect(slack).toBeInstanceOf(SlackNotifier);
    expect([slack.name, slack.type]).toEqual(["a", "slack"]);
    expect(createNotifier(channel("teams", { url }))).toBeInstanceOf(TeamsNotifier);
    expect(createNotifier(channel("webhook", { url, headers: {} }))).toBeInstanceOf(WebhookNotifier);
    expect(
      createNotifier(
        channel("email", {
          host: "127.0.0.1",
          port: 25,
          secure: false,
          requireTLS: false,
          insecureTLS: false,
          from: "a@example.com",
          to: ["b@example.com"],
        }),
      ),
    ).toBeInstanceOf(EmailNotifier);
    expect([...NOTIFIER_TYPES]).toEqual(["slack", "teams", "email", "webhook"]);
  });

  it("refuses an unknown type instead of falling back", () => {
    const config = { ...channel("slack", { url: "https://example.com" }), type: "pager" };
    expect(() => createNotifier(config as unknown as NotificationChannelConfig)).toThrow(UnknownTypeError);
    expect(() => createNotifier(config as unknown as NotificationChannelConfig)).toThrow(
      'unknown notification channel type "pager"; known types: slack, teams, email, webhook',
    );
  });
});
