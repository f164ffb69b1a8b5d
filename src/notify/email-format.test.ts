import { describe, expect, it } from "vitest";
import { EMAIL_MAX_EVENTS, escapeHtml, formatEmail, messageIdFor } from "./email-format.js";
import { event, manyEvents, notification } from "./test-helpers.js";

describe("formatEmail", () => {
  it("escapes everything that came from events in the HTML body", () => {
    const content = formatEmail(
      notification({
        events: [event("hook.failed", { service: '<img src=x onerror="alert(1)">', message: "a & b 'c'" })],
      }),
    );
    expect(content.html).not.toContain("<img");
    expect(content.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(content.html).toContain("a &amp; b &#39;c&#39;");
    expect(escapeHtml(`<>&"'`)).toBe("&lt;&gt;&amp;&quot;&#39;");
  });

  it("keeps the subject on one line and the Message-ID well formed", () => {
    const content = formatEmail(
      notification({
        id: "n 1/<x>",
        release: undefined,
        events: [event("release.failed", { project: "a\r\nBcc: x@y" })],
      }),
    );
    expect(content.subject).not.toMatch(/[\r\n]/);
    expect(content.messageId).toBe("<n_1/_x_@tandem>");
    expect(messageIdFor("abc-1")).toBe("<abc-1@tandem>");
    expect(content.headers["X-Tandem-Release"]).toBe("rel-42");
  });

  it("bounds a digest of many events in both bodies", () => {
    const content = formatEmail(notification({ events: manyEvents(EMAIL_MAX_EVENTS + 50) }));
    expect(content.text).toContain("…and 50 more");
    expect(content.html).toContain("<li>…and 50 more</li>");
    expect(content.html.match(/<code>/g)).toHaveLength(EMAIL_MAX_EVENTS);
    expect(content.subject).toBe(
      `[Tandem] shop → production: release failed (${EMAIL_MAX_EVENTS + 50} events)`,
    );
  });
});
