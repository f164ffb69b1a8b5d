import { describe, expect, it } from "vitest";
import { formatTeams, TEAMS_LIMITS } from "./teams-format.js";
import { manyEvents, notification } from "./test-helpers.js";

describe("formatTeams", () => {
  it("bounds a digest: at most 25 event blocks, then how many more, and under Teams' 28 KB", () => {
    const message = formatTeams(notification({ events: manyEvents(500, "y".repeat(2000)) }));
    const card = message.attachments[0]!.content;
    const textBlocks = card.body.filter((element) => element.type === "TextBlock").slice(1);
    expect(textBlocks).toHaveLength(TEAMS_LIMITS.events);
    expect(textBlocks.at(-1)).toMatchObject({ text: `…and ${500 - (TEAMS_LIMITS.events - 1)} more events` });
    for (const block of textBlocks) {
      expect(block.type === "TextBlock" && block.text.length).toBeLessThanOrEqual(TEAMS_LIMITS.eventChars);
    }
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThan(28 * 1024);
  });

  it("lists every event of a small digest with its time and service, oldest first", () => {
    const card = formatTeams(notification({ events: manyEvents(2) })).attachments[0]!.content;
    expect(card.body.slice(2).map((element) => element.type === "TextBlock" && element.text)).toEqual([
      "05:20:12 api: rollout weight changed — weight changed to 25% #0",
      "05:20:13 api: rollout weight changed — weight changed to 25% #1",
    ]);
    expect(card.body[0]).toMatchObject({
      text: "shop → production: release failed (2 events)",
      color: "Accent",
    });
  });
});
