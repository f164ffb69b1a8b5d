import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState, RolloutState, Status } from "../core/types.js";
import {
  annotationLine,
  escapeAnnotationData,
  escapeAnnotationProperty,
  escapeMarkdown,
  releaseMarkdown,
  reportToCi,
  statusEmoji,
} from "./step-summary.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function rollout(overrides: Partial<RolloutState>): RolloutState {
  return {
    service: "api",
    version: "2.4.0",
    stableVersion: "2.3.0",
    status: "succeeded",
    phase: "completed",
    steps: [],
    stepIndex: 0,
    stepStartedAt: T0,
    weight: 100,
    replicas: { new: 1, stable: 0 },
    desiredReplicas: 1,
    progressDeadline: 60_000,
    pauseTimeout: 60_000,
    startedAt: T0,
    finishedAt: T0 + 90_000,
    ...overrides,
  };
}

function release(
  status: Status,
  rollouts: RolloutState[],
  overrides: Partial<ReleaseState> = {},
): ReleaseState {
  return {
    id: "rel-42",
    project: "shop",
    environment: "staging",
    status,
    revision: 1,
    createdAt: T0,
    updatedAt: T0,
    finishedAt: T0 + 120_000,
    createdBy: "octocat",
    services: {},
    rollouts,
    ...overrides,
  };
}

/** The data rows of the (only) table: the cells of every line that starts with `|`, after the header. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2)
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

describe("job summary Markdown", () => {
  it("shows id, environment, status with emoji and one row per service (stable → new, status, weight, duration)", () => {
    const md = releaseMarkdown(
      release("succeeded", [
        rollout({}),
        rollout({ service: "web", version: "1.8.0", stableVersion: null, finishedAt: T0 + 5_000 }),
      ]),
      { now: T0 + 200_000 },
    );
    expect(md).toContain("### ✅ Tandem release rel-42: succeeded");
    expect(md).toContain("- **Environment:** staging");
    expect(md).toContain("- **Status:** ✅ succeeded");
    expect(tableRows(md)).toEqual([
      ["api", "2.3.0 → 2.4.0", "✅ succeeded", "100%", "1m30s"],
      ["web", "(none) → 1.8.0", "✅ succeeded", "100%", "5s"],
    ]);
    expect(md).not.toContain("**Why:**");
    expect(md).not.toContain("Dashboard");
  });

  it("gives each status its own emoji", () => {
    const statuses: Status[] = [
      "pending",
      "awaiting_approval",
      "running",
      "paused",
      "succeeded",
      "failed",
      "rolled_back",
      "aborted",
    ];
    const emojis = statuses.map(statusEmoji);
    expect(new Set(emojis).size).toBe(statuses.length);
    expect(statusEmoji("failed")).toBe("❌");
    expect(statusEmoji("rolled_back")).toBe("↩️");
    expect(
      releaseMarkdown(release("rolled_back", [rollout({ status: "rolled_back" })]), { now: T0 }),
    ).toContain("- **Status:** ↩️ rolled back");
  });

  it("escapes values so a `|` or `<script>` in a version cannot break the table or inject HTML", () => {
    const md = releaseMarkdown(
      release("succeeded", [
        rollout({ version: "1.0|evil", stableVersion: "<script>alert(1)</script>" }),
        rollout({ service: "web_*x*", version: "2.0\n| injected | row |" }),
      ]),
      { now: T0 },
    );
    expect(md).not.toContain("<script>");
    expect(md).toContain("&lt;script&gt;alert(1)&lt;/script&gt; → 1.0\\|evil");
    const rows = tableRows(md);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toHaveLength(5);
    expect(rows[1]![0]).toBe("web\\_\\*x\\*");
    expect(rows[1]![1]).toBe("2.3.0 → 2.0<br>\\| injected \\| row \\|");
    expect(escapeMarkdown("a & b")).toBe("a &amp; b");
  });

  it("states why a release failed: the release's reason and each service's", () => {
    const md = releaseMarkdown(
      release(
        "rolled_back",
        [
          rollout({ status: "rolled_back", weight: 0, reason: "probe failed: 3 of 3 <5xx>" }),
          rollout({ service: "web", status: "aborted", weight: 0 }),
        ],
        { reason: "api rolled back" },
      ),
      { now: T0 },
    );
    expect(md).toContain("**Why:**\n\n- api rolled back\n- api: probe failed: 3 of 3 &lt;5xx&gt;\n");
    expect(tableRows(md)[0]).toEqual(["api", "2.3.0 → 2.4.0", "↩️ rolled back", "0%", "1m30s"]);
  });

  it("links to the dashboard when TANDEM_DASHBOARD_URL is set, and only to http(s)", () => {
    const one = release("succeeded", [rollout({})], { id: "rel 1(x)" });
    expect(releaseMarkdown(one, { now: T0, dashboardUrl: "https://tandem.example/" })).toContain(
      "- **Dashboard:** [open release rel 1(x)](https://tandem.example/releases/rel%201%28x%29)",
    );
    expect(releaseMarkdown(one, { now: T0, dashboardUrl: "javascript:alert(1)" })).not.toContain("Dashboard");
  });
});

describe("workflow annotations", () => {
  it("escapes %, \\r and \\n in the message, and also : and , in properties", () => {
    expect(escapeAnnotationData("100% done\r\nnext")).toBe("100%25 done%0D%0Anext");
    expect(escapeAnnotationProperty("a:b,c%\n")).toBe("a%3Ab%2Cc%25%0A");
  });

  it("is an error for a rolled back or failed release, a warning when aborted, a notice when it succeeded", () => {
    const rolledBack = release("rolled_back", [
      rollout({ status: "rolled_back", reason: "5xx at 12%\nabove 1%" }),
    ]);
    expect(annotationLine(rolledBack)).toBe(
      "::error title=Tandem release rel-42 rolled back::api@2.4.0 in staging: rolled back%0Aapi: 5xx at 12%25%0Aabove 1%25",
    );
    expect(annotationLine(release("failed", [rollout({})]))).toMatch(/^::error title=/);
    expect(annotationLine(release("aborted", [rollout({})]))).toMatch(/^::warning title=/);
    expect(annotationLine(release("succeeded", [rollout({})]))).toBe(
      "::notice title=Tandem release rel-42 succeeded::api@2.4.0 in staging: succeeded",
    );
    // One line whatever the reason holds.
    expect(annotationLine(rolledBack).split("\n")).toHaveLength(1);
  });
});

describe("reportToCi", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function sink(): { out: NodeJS.WritableStream; text: () => string } {
    let text = "";
    const out = {
      write(chunk: string) {
        text += chunk;
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    return { out, text: () => text };
  }

  it("appends to GITHUB_STEP_SUMMARY and annotates only when GITHUB_ACTIONS=true and asked to", () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-summary-"));
    const file = join(dir, "summary.md");
    writeFileSync(file, "# earlier step\n");
    const failed = release("failed", [rollout({ status: "failed" })]);
    const s = sink();
    reportToCi([failed], {
      now: T0,
      annotate: true,
      out: s.out,
      env: { GITHUB_STEP_SUMMARY: file, GITHUB_ACTIONS: "true", TANDEM_REASON: "hotfix #12" },
    });
    reportToCi([failed], { now: T0, annotate: false, out: s.out, env: { GITHUB_STEP_SUMMARY: file } });
    const content = readFileSync(file, "utf8");
    expect(content.startsWith("# earlier step\n### ❌ Tandem release rel-42: failed")).toBe(true);
    expect(content.match(/### ❌ Tandem release rel-42/g)).toHaveLength(2);
    expect(content).toContain("- **Requested because:** hotfix \\#12");
    expect(s.text()).toBe(`${annotationLine(failed)}\n`);

    const quiet = sink();
    reportToCi([failed], { now: T0, annotate: true, out: quiet.out, env: {} });
    expect(quiet.text()).toBe("");
  });
});
