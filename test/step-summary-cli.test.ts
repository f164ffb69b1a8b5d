import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";

/**
 * The GitHub Actions job summary and annotations written by the compiled CLI, for real releases on
 * the sim target: `tandem deploy` appends Markdown to $GITHUB_STEP_SUMMARY and, when
 * GITHUB_ACTIONS=true, prints a workflow command for the outcome; the exit code tells CI what happened.
 */

const CONFIG = `project: shop
environments:
  staging: {}
services:
  api:
    target: { type: sim, unhealthyVersions: ["6.6.6"] }
  web:
    target: { type: sim }
`;

describe("job summary and annotations from the CLI", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("appends a summary per release, annotates a rolled back one, and exits 0 / 1", async () => {
    project = TestProject.withConfigText(CONFIG);
    const summaryFile = join(project.dir, "step-summary.md");
    writeFileSync(summaryFile, "## Build\n\nearlier step output\n");
    const env = {
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_ACTIONS: "true",
      TANDEM_DASHBOARD_URL: "https://tandem.example/ui",
      TANDEM_USER: "octocat",
    };

    const goodArgs = ["deploy", "api@1.0.0", "web@2.0.0", "--env", "staging"];
    const good = await project.cli(goodArgs, { env, timeoutMs: 60_000 });
    expect(good.code, describeRun(goodArgs, good)).toBe(0);
    expect(good.stdout).toMatch(
      /^::notice title=Tandem release \S+ succeeded::api@1\.0\.0 web@2\.0\.0 in staging: succeeded$/m,
    );
    expect(good.stdout).not.toContain("::error");
    const goodId = /release (\S+) created/.exec(good.stdout)?.[1];
    expect(goodId).toBeDefined();

    const afterGood = readFileSync(summaryFile, "utf8");
    expect(afterGood.startsWith("## Build\n\nearlier step output\n### ✅ Tandem release")).toBe(true);
    expect(afterGood).toContain(`- **Release:** ${goodId}`);
    expect(afterGood).toContain("- **Environment:** staging");
    expect(afterGood).toContain("- **By:** octocat");
    expect(afterGood).toMatch(/\| api \| \(none\) → 1\.0\.0 \| ✅ succeeded \| 100% \| \d/);
    expect(afterGood).toMatch(/\| web \| \(none\) → 2\.0\.0 \| ✅ succeeded \| 100% \| \d/);
    expect(afterGood).toContain(`(https://tandem.example/ui/releases/${goodId})`);

    // A version the sim target reports unhealthy: the release rolls back, in JSON mode (annotations
    // then go to stderr so stdout stays JSON).
    const badArgs = ["--json", "deploy", "api@6.6.6", "--env", "staging"];
    const bad = await project.cli(badArgs, { env, timeoutMs: 60_000 });
    expect(bad.code, describeRun(badArgs, bad)).toBe(1);
    const release = JSON.parse(bad.stdout) as { id: string; status: string };
    expect(release.status).toBe("rolled_back");
    const annotation = bad.stderr.split("\n").find((line) => line.startsWith("::error "));
    expect(annotation, bad.stderr).toBeDefined();
    expect(annotation).toMatch(
      new RegExp(
        `^::error title=Tandem release ${release.id} rolled back::api@6\\.6\\.6 in staging: rolled back%0A`,
      ),
    );
    // One physical line: newlines of the reasons are escaped.
    expect(annotation!.includes("\r")).toBe(false);

    const afterBad = readFileSync(summaryFile, "utf8");
    expect(afterBad.startsWith(afterGood)).toBe(true);
    const added = afterBad.slice(afterGood.length);
    expect(added).toContain(`### ↩️ Tandem release ${release.id}: rolled back`);
    expect(added).toMatch(/\| api \| 1\.0\.0 → 6\.6\.6 \| ↩️ rolled back \| 0% \|/);
    expect(added).toContain("**Why:**");

    // `tandem status RELEASE` adds the summary too, and annotates nothing.
    const status = await project.cli(["status", release.id], { env });
    expect(status.code, describeRun(["status"], status)).toBe(0);
    expect(status.stdout).not.toContain("::");
    const afterStatus = readFileSync(summaryFile, "utf8");
    expect(afterStatus.slice(afterBad.length)).toContain(`### ↩️ Tandem release ${release.id}: rolled back`);
  });

  it("writes nothing for CI when neither variable is set", async () => {
    project = TestProject.withConfigText(CONFIG);
    const args = ["deploy", "web@2.0.0"];
    const result = await project.cli(args, {
      env: { GITHUB_STEP_SUMMARY: "", GITHUB_ACTIONS: "" },
      timeoutMs: 60_000,
    });
    expect(result.code, describeRun(args, result)).toBe(0);
    expect(result.stdout).not.toContain("::notice");
  });
});
