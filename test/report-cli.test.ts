import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DeliveryReport } from "../src/analytics/types.js";
import type { ReleaseState, VersionMetadata } from "../src/core/types.js";
import { describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";

/** api@1.1.0 is unhealthy on the sim target: its release rolls back. */
const CONFIG = `project: shop
environments:
  staging: {}
  production: {}
services:
  api:
    target: { type: sim, unhealthyVersions: ["1.1.0"] }
  web:
    target: { type: sim }
`;

const EVIL = `<script>alert("pwned")</script>`;
const AS_CI = { env: { TANDEM_USER: "ci" } };
const AS_EVIL = { env: { TANDEM_USER: EVIL } };

describe("tandem report", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("reports the DORA metrics of real releases as JSON, Markdown and HTML", async () => {
    project = TestProject.withConfigText(CONFIG);
    const p = project;
    const ok = async (args: string[], code = 0, options = AS_CI) => {
      const result = await p.cli(args, options);
      expect(result.code, describeRun(args, result)).toBe(code);
      return result;
    };

    const [publishedApi] = [
      await p.cliJson<VersionMetadata>(["registry", "publish", "api", "1.0.0"], 0, AS_CI),
    ];
    await ok(["deploy", "api@1.0.0", "web@1.0.0", "--env", "staging"]);
    // Started by someone whose name is hostile markup; it rolls back (exit code 1).
    await ok(["deploy", "api@1.1.0", "--env", "staging"], 1, AS_EVIL);
    await ok(["deploy", "api@1.2.0", "--env", "staging"]);
    // 1.2.0 is undone by `tandem rollback`: a change failure, restored when the rollback succeeds.
    await ok(["rollback", "api", "--env", "staging"]);
    await ok(["deploy", "web@1.0.0", "--env", "production"]);

    const history = (await p.cliJson<ReleaseState[]>(["history", "--env", "staging"], 0, AS_CI)).reverse();
    expect(
      history.map((r) => `${r.rollouts.map((o) => `${o.service}@${o.version}`).join("+")}:${r.status}`),
    ).toEqual([
      "api@1.0.0+web@1.0.0:succeeded",
      "api@1.1.0:rolled_back",
      "api@1.2.0:succeeded",
      "api@1.0.0:succeeded",
    ]);
    const [first, bad, regret, back] = history as [ReleaseState, ReleaseState, ReleaseState, ReleaseState];
    const apiLive = first.rollouts[0]!.promotedAt ?? first.rollouts[0]!.finishedAt!;

    const report = await p.cliJson<DeliveryReport>(["report"], 0, AS_CI);
    expect(report.schema).toBe("tandem.report/v1");
    expect(report.window.days).toBe(30);
    expect(report.environments.map((e) => e.environment)).toEqual(["staging", "production"]);
    const staging = report.environments[0]!.metrics;
    expect(staging.releases).toEqual({
      total: 4,
      succeeded: 2,
      failed: 0,
      rolledBack: 1,
      aborted: 0,
      rollbacks: 1,
      inProgress: 0,
    });
    expect(staging.deploymentFrequency.deployments).toBe(2);
    expect(staging.deploymentFrequency.perWeek).toBeCloseTo((2 / 30) * 7, 10);
    // The rolled-back release, and the one the rollback undid, of 3 changes.
    expect(staging.changeFailureRate).toEqual({ failures: 2, deployments: 3, rate: 2 / 3 });
    expect(staging.successRate).toBe(2 / 3);
    // api@1.0.0 was published before it went live; api@1.2.0 and web@1.0.0 never were.
    expect(staging.leadTime).toEqual({
      count: 1,
      median: apiLive - publishedApi.publishedAt,
      p90: apiLive - publishedApi.publishedAt,
      withoutPublishTime: 2,
    });
    // Restores: the rolled-back 1.1.0 by 1.2.0; the undone 1.2.0 by the rollback release.
    const restores = [regret.finishedAt! - bad.finishedAt!, back.finishedAt! - back.createdAt].sort(
      (a, b) => a - b,
    );
    expect(staging.timeToRestore).toMatchObject({
      count: 2,
      median: (restores[0]! + restores[1]!) / 2,
      open: [],
    });
    expect(staging.bands.changeFailureRate).toBe("low");
    expect(staging.bands.overall).toBe("low");
    const services = report.environments[0]!.services;
    expect(
      services.map((s) => [s.service, s.metrics.releases.total, s.metrics.changeFailureRate.rate]),
    ).toEqual([
      ["api", 4, 2 / 3],
      ["web", 1, 0],
    ]);
    expect(report.environments[0]!.failures.map((f) => [f.releaseId, f.undone, f.createdBy])).toEqual([
      [bad.id, false, EVIL],
      [regret.id, true, "ci"],
    ]);
    expect(report.environments[1]!.metrics.releases.succeeded).toBe(1);

    // Filters, and --format json is what --json prints.
    const filtered = JSON.parse(
      (await ok(["report", "--format", "json", "--environment", "production", "--service", "web"])).stdout,
    ) as DeliveryReport;
    expect(filtered.filters).toEqual({ environment: "production", service: "web" });
    expect(filtered.environments.map((e) => [e.environment, e.services.map((s) => s.service)])).toEqual([
      ["production", ["web"]],
    ]);
    // A window that ended before any release: nothing in it.
    const before = JSON.parse(
      (await ok(["report", "--format", "json", "--until", "1d"])).stdout,
    ) as DeliveryReport;
    expect(before.environments[0]!.metrics.releases.total).toBe(0);

    const markdown = (await ok(["report"])).stdout;
    expect(markdown).toContain("# Delivery report: shop");
    expect(markdown).toContain("## staging: low");
    expect(markdown).toContain("| Change failure rate | 66.7% | low |");
    expect(markdown).toMatch(/\| api \| 4 \| 0\.5\/week \| \S+ \| 66\.7% \|/);
    expect(markdown).toContain("| undone by a rollback |");
    expect(markdown).toContain('&lt;script&gt;alert("pwned")&lt;/script&gt;');
    expect(markdown).not.toContain("<script>");

    const file = join(p.dir, "report.html");
    const written = await ok(["report", "--format", "html", "--output", file]);
    expect(written.stdout).toBe("");
    expect(written.stderr).toContain(`report written to ${file}`);
    const html = readFileSync(file, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(6);
    expect(html).toContain('<rect class="bad"');
    expect(html).toContain("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;");
    expect(html).not.toMatch(/<script|<link|<img|src=["']?http|href=["']?http|@import|url\(/i);
    // About 15 CLI runs, each a node process: slow on a loaded machine.
  }, 240_000);

  it("refuses an unknown format, environment or service and an unreadable time with exit code 2", async () => {
    project = TestProject.withConfigText(CONFIG);
    const cases = [
      [["report", "--format", "pdf"], '--format "pdf" is not one of markdown, html, json'],
      [["report", "--environment", "prod"], 'unknown environment "prod"; environments: staging, production'],
      [["report", "--service", "wbe"], 'unknown service "wbe"; services: api, web'],
      [["report", "--since", "last tuesday"], '--since "last tuesday" is neither a duration nor a date'],
      [["report", "--since", "2099-01-01"], "the report window is empty"],
    ] as const;
    for (const [args, expected] of cases) {
      const result = await project.cli([...args]);
      expect(result.code, describeRun([...args], result)).toBe(2);
      expect(result.stderr).toContain(expected);
    }
  }, 120_000);
});
