import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SlackNotifier } from "./slack.js";
import type { SlackMessage } from "./slack-format.js";
import { channel, manyEvents, notification, type Receiver, startReceiver } from "./test-helpers.js";

let receiver: Receiver;
const never = new AbortController().signal;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.requests.length = 0;
});

function notifier(): SlackNotifier {
  return new SlackNotifier(
    channel("slack", { name: "ops-slack", url: `${receiver.origin}/services/T0/B0/xyz` }),
  );
}

describe("slack notifier, as received by an incoming-webhook stand-in", () => {
  it("POSTs a Block Kit message with a header, facts, versions, the event, a link button and a fallback", async () => {
    await notifier().send(notification(), never);

    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/services/T0/B0/xyz");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["idempotency-key"]).toBe("ntf-1-rel-42-release.failed");

    const message = JSON.parse(request.body) as SlackMessage;
    expect(message.text).toContain("shop → production: release failed");
    const [header, facts, ...rest] = message.blocks;
    expect(header).toEqual({
      type: "header",
      text: { type: "plain_text", text: ":red_circle: shop → production: release failed", emoji: true },
    });
    expect(facts?.type === "section" && facts.fields?.map((field) => field.text)).toEqual([
      "*Environment*\nproduction",
      "*Release*\nrel-42",
      "*Status*\nfailed",
    ]);
    const texts = rest.map((block) => (block.type === "section" ? (block.text?.text ?? "") : ""));
    expect(texts.join("\n")).toContain("• api: 2.3.0 → 2.4.0 · rolled back · 0%");
    expect(texts.join("\n")).toContain("• web: 1.7.0 → 1.8.0 · pending · 0%");
    // What came from events is escaped for mrkdwn.
    expect(texts.join("\n")).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
    expect(request.body).not.toContain("<script>");

    const actions = message.blocks.find((block) => block.type === "actions");
    expect(actions).toMatchObject({
      elements: [{ type: "button", url: "https://tandem.example.com/releases/rel-42", style: "danger" }],
    });
    expect(message.blocks.length).toBeLessThanOrEqual(50);
  });

  it("sends a digest as one message with every event listed, oldest first", async () => {
    const events = manyEvents(3);
    await notifier().send(
      notification({ id: "digest-1", events, release: { ...notification().release!, status: "running" } }),
      never,
    );
    const message = JSON.parse(receiver.requests[0]!.body) as SlackMessage;
    expect(message.blocks[0]).toMatchObject({
      text: { text: ":large_blue_circle: shop → production: release running (3 events)" },
    });
    const listed = message.blocks.find(
      (block) => block.type === "section" && block.text?.text.startsWith("*Events*"),
    );
    const text = listed?.type === "section" ? listed.text?.text : undefined;
    expect(text?.split("\n")).toEqual([
      "*Events* (3)",
      "• 05:20:12 api: rollout weight changed — weight changed to 25% #0",
      "• 05:20:13 api: rollout weight changed — weight changed to 25% #1",
      "• 05:20:14 api: rollout weight changed — weight changed to 25% #2",
    ]);
  });
});
