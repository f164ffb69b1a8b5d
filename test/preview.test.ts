import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";
import { describeLoad, sampleVersions } from "./helpers/traffic.js";
import { waitFor } from "./helpers/wait.js";

/**
 * Blue-green with a preview listener: while the new stack waits for promotion, the main port still
 * serves only the stable version and the preview port serves only the new one, so people and smoke
 * tests can try it first.
 */
describe("blue-green preview through the router's preview listener", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("serves the waiting preview on its own port, then switches on `tandem resume`", async () => {
    project = await TestProject.create({
      services: {
        web: { preview: true, strategy: { blueGreen: { autoPromote: false, scaleDownDelay: "1s" } } },
      },
    });
    await project.deploy("web@1.0.0");
    const deploy = project.spawnCli(["--json", "deploy", "web@1.1.0"]);
    await waitFor(
      "the preview to wait for promotion",
      async () => (await project!.status()).releases[0]?.status === "paused",
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const previewUrl = `http://127.0.0.1:${project.previewPorts.web}/`;
    const preview = await sampleVersions(previewUrl, 30);
    expect(preview.versions, describeLoad(preview)).toEqual({ "1.1.0": 30 });
    const main = await sampleVersions(project.url("web"), 30);
    expect(main.versions, describeLoad(main)).toEqual({ "1.0.0": 30 });

    const resume = await project.cli(["resume"]);
    expect(resume.code, describeRun(["resume"], resume)).toBe(0);
    const result = await deploy.result;
    expect(result.code, describeRun(deploy.args, result)).toBe(0);
    expect((JSON.parse(result.stdout) as ReleaseState).status).toBe("succeeded");
    expect((await sampleVersions(project.url("web"), 30)).versions).toEqual({ "1.1.0": 30 });
  });
});
