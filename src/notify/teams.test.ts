import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TeamsNotifier } from "./teams.js";
import { channel, notification, type Receiver, startReceiver } from "./test-helpers.js";

let receiver: Receiver;
const never = new AbortController().signal;

beforeAll(async () => {
  receiver = await startReceiver({ status: 202, body: "" });
});
afterAll(() => receiver.close());

type Json = Record<string, unknown>;

/**
 * The structural rules of the Adaptive Card schema that Teams enforces, for what Tandem uses: every
 * element has a known type and its required fields; a problem is returned as a path.
 */
function cardProblems(card: Json): string[] {
  const problems: string[] = [];
  if (card.type !== "AdaptiveCard") problems.push("type");
  if (typeof card.version !== "string" || Number(card.version) < 1.4) problems.push("version");
  if (!Array.isArray(card.body) || card.body.length === 0) problems.push("body");
  for (const [index, element] of ((card.body as Json[]) ?? []).entries()) {
    if (element.type === "TextBlock") {
      if (typeof element.text !== "string" || element.text === "") problems.push(`body[${index}].text`);
    } else if (element.type === "FactSet") {
      const facts = element.facts as Json[];
      if (!Array.isArray(facts) || facts.length === 0) problems.push(`body[${index}].facts`);
      for (const fact of facts ?? []) {
        if (typeof fact.title !== "string" || typeof fact.value !== "string") {
          problems.push(`body[${index}].facts`);
        }
      }
    } else {
      problems.push(`body[${index}].type ${String(element.type)}`);
    }
  }
  for (const [index, action] of ((card.actions as Json[]) ?? []).entries()) {
    if (action.type !== "Action.OpenUrl" || typeof action.title !== "string")
      problems.push(`actions[${index}]`);
    if (typeof action.url !== "string" || !URL.canParse(action.url)) problems.push(`actions[${index}].url`);
  }
  return problems;
}

describe("teams notifier, as received by a webhook stand-in", () => {
  it("POSTs an Adaptive Card in the message envelope, with facts, the event and a link", async () => {
    await new TeamsNotifier(
      channel("teams", { url: `${receiver.origin}/webhookb2/abc/IncomingWebhook/def?sig=s3cr3t` }),
    ).send(notification(), never);

    const request = receiver.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/webhookb2/abc/IncomingWebhook/def?sig=s3cr3t");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["idempotency-key"]).toBe("ntf-1-rel-42-release.failed");

    const message = JSON.parse(request.body) as Json;
    expect(message.type).toBe("message");
    const attachments = message.attachments as Json[];
    expect(attachments).toHaveLength(1);
    expect(attachments[0]!.contentType).toBe("application/vnd.microsoft.card.adaptive");
    const card = attachments[0]!.content as Json;
    expect(cardProblems(card)).toEqual([]);
    expect(card.version).toBe("1.5");

    const body = card.body as Json[];
    expect(body[0]).toMatchObject({
      type: "TextBlock",
      text: "shop → production: release failed",
      color: "Attention",
    });
    expect(body.find((element) => element.type === "FactSet")?.facts).toEqual([
      { title: "Environment", value: "production" },
      { title: "Release", value: "rel-42" },
      { title: "Status", value: "failed" },
      { title: "api", value: "2.3.0 → 2.4.0 · rolled back · 0%" },
      { title: "web", value: "1.7.0 → 1.8.0 · pending · 0%" },
    ]);
    expect(body.some((element) => String(element.text).startsWith("api: probe /health failed 3 times"))).toBe(
      true,
    );
    expect(card.actions).toEqual([
      { type: "Action.OpenUrl", title: "Open release", url: "https://tandem.example.com/releases/rel-42" },
    ]);
  });

  it("has no action when the channel has no link", async () => {
    receiver.requests.length = 0;
    await new TeamsNotifier(channel("teams", { url: `${receiver.origin}/flow` })).send(
      notification({ url: undefined }),
      never,
    );
    const card = (JSON.parse(receiver.requests[0]!.body) as { attachments: [{ content: Json }] })
      .attachments[0].content;
    expect(cardProblems(card)).toEqual([]);
    expect(card.actions).toEqual([]);
  });
});
