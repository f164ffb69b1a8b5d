import { describe, expect, it } from "vitest";
import { span } from "./format.js";
import { DAY, HOUR, MINUTE, release, SINCE, tenReleases, UNTIL } from "./history.fixtures.js";
import { renderHtml } from "./html.js";
import { md, renderMarkdown } from "./markdown.js";
import { computeReport } from "./report.js";

const EVIL = `<script>alert("x")</script>`;

/** The ten-release history, plus a release whose names come from someone hostile. */
function report() {
  const { releases, versions } = tenReleases();
  releases.push(
    release(
      "r-evil",
      "production",
      UNTIL - DAY,
      "failed",
      [{ service: `api${EVIL}`, version: `1.0<img src=x onerror=alert(1)>`, status: "failed" }],
      { createdBy: EVIL, reason: "pipe | and <b>bold</b>" },
    ),
  );
  return computeReport(
    { project: "shop", releases, versions, rollbackReleaseIds: [], environments: ["production", "staging"] },
    { now: UNTIL, since: SINCE },
  );
}

describe("report rendering", () => {
  it("formats durations with their two largest units", () => {
    expect(span(75 * MINUTE)).toBe("1h 15m");
    expect(span(2 * HOUR)).toBe("2h");
    expect(span(DAY + 3 * HOUR + 5 * MINUTE)).toBe("1d 3h");
    expect(span(42_000)).toBe("42s");
    expect(span(250)).toBe("250ms");
    expect(span(null)).toBe("-");
  });

  it("writes Markdown tables per environment and per service, escaping names", () => {
    const text = renderMarkdown(report());
    expect(text).toContain("# Delivery report: shop");
    expect(text).toContain("## production: low");
    // 3 failures of 11 changes now (the hostile release failed too), 8 successes in 14 days.
    expect(text).toContain("| Change failure rate | 27.3% | low |");
    expect(text).toContain(
      "| Deployment frequency | 4.0/week | high | ↑ from 1.0/week (better) | 8 successful in 14 days (0.57/day) |",
    );
    expect(text).toMatch(/\| Time to restore \| 1h 15m \| high \| - \| p90 1h 51m, 2 restored; 1 open \|/);
    expect(text).toContain("| api | 10 | 4.0/week | 4h | 20% | 1h 15m | 80% | low |");
    expect(text).toContain("## staging: -");
    expect(text).toContain("### Weekly trend");
    expect(text).toContain("| 2026-03-08 to 2026-03-15 | 2 | 2 | 50% | 7h | 2h |");
    expect(text).not.toContain("<script>");
    expect(text).not.toContain("<img");
    expect(text).toContain(
      'api&lt;script&gt;alert("x")&lt;/script&gt;@1.0&lt;img src=x onerror=alert(1)&gt;',
    );
    expect(text).toContain("pipe \\| and &lt;b&gt;bold&lt;/b&gt;");
    expect(md("a|b*c_[d](e)")).toBe("a\\|b\\*c\\_\\[d\\](e)");
  });

  it("prints the README's example for ten releases, two restored after 30m and 2h", () => {
    const { releases, versions } = tenReleases();
    const text = renderMarkdown(
      computeReport(
        { project: "shop", releases, versions, rollbackReleaseIds: [] },
        { now: UNTIL, since: SINCE },
      ),
    );
    expect(text).toContain(
      [
        "## production: low",
        "",
        "| metric | value | DORA band | vs previous period | detail |",
        "| --- | --- | --- | --- | --- |",
        "| Deployment frequency | 4.0/week | high | ↑ from 1.0/week (better) | 8 successful in 14 days (0.57/day) |",
        "| Lead time for changes | 4h | elite | ↓ from 10h (better) | p90 6h 24m, 7 changes; 1 without publish time |",
        "| Change failure rate | 20% | low | ↑ from 0% (worse) | 2 of 10 changes |",
        "| Time to restore | 1h 15m | high | - | p90 1h 51m, 2 restored; 0 open |",
        "| Success rate | 80% |  | ↓ from 100% (worse) | 8 succeeded, 0 failed, 2 rolled back, 0 aborted; 0 rollbacks, 0 in progress |",
      ].join("\n"),
    );
  });

  it("writes one self-contained HTML page with inline SVG charts and everything escaped", () => {
    const html = renderHtml(report());
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<style>");
    // Three charts per environment: deployments (bars), lead time and change failure rate (lines).
    expect(html.match(/<svg class="chart"/g)).toHaveLength(6);
    expect(html).toContain('<rect class="bad"');
    expect(html).toContain('<polyline class="line"');
    expect(html).toContain("2026-03-01: 6 deployments, 1 failures");
    // No external asset, no script: nothing fetched, nothing run.
    expect(html).not.toMatch(/<script|<link|<img|src=["']?http|href=["']?http|@import|url\(/i);
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("1.0&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("pipe | and &lt;b&gt;bold&lt;/b&gt;");
    expect(html).toContain('<span class="band band-low">low</span>');
    expect(html).toContain("<td>Change failure rate</td><td>27.3%</td>");
  });
});
