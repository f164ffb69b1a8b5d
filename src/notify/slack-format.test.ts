import { describe, expect, it } from "vitest";
import { formatSlack, SLACK_LIMITS, type SlackBlock } from "./slack-format.js";
import { event, manyEvents, notification } from "./test-helpers.js";

function texts(blocks: SlackBlock[]): string[] {
  return blocks.flatMap((block) => {
    if (block.type === "header") return [block.text.text];
    if (block.type === "section") return [block.text?.text ?? "", ...(block.fields ?? []).map((f) => f.text)];
    if (block.type === "context") return block.elements.map((element) => element.text);
    return [];
  });
}

describe("formatSlack", () => {
  it("bounds a digest of many long events within Slack's limits and says how many were left out", () => {
    const events = manyEvents(500, "x".repeat(400));
    const message = formatSlack(notification({ events }));
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const text of texts(message.blocks))
      expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionChars);
    const list = texts(message.blocks).find((text) => text.startsWith("*Events* (500)"))!;
    const lines = list.split("\n");
    const shown = lines.filter((line) => line.startsWith("• "));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(SLACK_LIMITS.digestEvents);
    expect(lines.at(-1)).toBe(`…and ${500 - shown.length} more`);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackChars);
  });

  it("shows at most 30 short events, then the count of the rest", () => {
    const message = formatSlack(notification({ events: manyEvents(40) }));
    const list = texts(message.blocks).find((text) => text.startsWith("*Events*"))!;
    expect(list.split("\n").filter((line) => line.startsWith("• "))).toHaveLength(30);
    expect(list.endsWith("…and 10 more")).toBe(true);
  });

  it("bounds a release of many services and a long headline", () => {
    const base = notification().release!;
    const services = Array.from({ length: 400 }, (_, index) => ({
      service: `service-${index}`,
      version: "1.0.0",
      stableVersion: "0.9.0",
      status: "running" as const,
      weight: 10,
    }));
    const message = formatSlack(notification({ release: { ...base, project: "p".repeat(300), services } }));
    const header = message.blocks[0];
    expect(header?.type === "header" && header.text.text.length).toBeLessThanOrEqual(
      SLACK_LIMITS.headerChars,
    );
    const versions = texts(message.blocks).find((text) => text.startsWith("*Versions*"))!;
    expect(versions.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionChars);
    expect(versions).toMatch(/…and \d+ more$/);
  });

  it("picks the emoji of the most severe event; a single event's message stands on its own", () => {
    const warning = formatSlack(
      notification({
        events: [event("approval.requested", { severity: "warning", message: "alice must approve" })],
      }),
    );
    expect(warning.blocks[0]).toMatchObject({
      text: { text: ":warning: shop → production: approval requested" },
    });
    expect(texts(warning.blocks)).toContain("alice must approve");
    expect(warning.text).toBe(
      ":warning: shop → production: approval requested: alice must approve <https://tandem.example.com/releases/rel-42|open>",
    );
  });

  it("has no button without a url, and names the service of a rollout event", () => {
    const message = formatSlack(
      notification({
        url: undefined,
        events: [event("rollout.rolled_back", { service: "api", severity: "error" })],
      }),
    );
    expect(message.blocks.some((block) => block.type === "actions")).toBe(false);
    expect(message.blocks[0]).toMatchObject({
      text: { text: ":red_circle: shop → production: api rollout rolled back" },
    });
  });

  it("works without a release summary, from the events alone", () => {
    const message = formatSlack(notification({ release: undefined }));
    expect(message.blocks[1]).toMatchObject({
      fields: [
        { text: "*Environment*\nproduction" },
        { text: "*Release*\nrel-42" },
        { text: "*Status*\nerror" },
      ],
    });
  });
});
