import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isProcessRunning } from "./helpers/processes.js";
import { TestProject } from "./helpers/project.js";
import { describeLoad, sampleVersions, startSteadyLoad } from "./helpers/traffic.js";

/** What the demo server printed when it started, from the instance log files of one version. */
function startedInstances(project: TestProject, service: string, version: string) {
  const dir = join(project.dir, ".tandem", "logs", "staging", service);
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${version}-`))
    .flatMap((name) => {
      const line = /listening on (127\.0\.0\.1:\d+) \(pid (\d+)\)/.exec(
        readFileSync(join(dir, name), "utf8"),
      );
      return line ? [{ endpoint: line[1]!, pid: Number(line[2]) }] : [];
    });
}

describe("automatic rollback when the new version's health probe fails", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("rolls 2.0.0 back to 1.0.0 under load: exit 1, reason names probe, endpoint and 503", async () => {
    project = await TestProject.create({
      services: {
        web: {
          strategy: { canary: { steps: [{ setWeight: 20 }, { pause: "2s" }, { setWeight: 50 }] } },
        },
      },
    });
    const url = project.url("web");
    await project.deploy("web@1.0.0");

    const load = startSteadyLoad(url);
    let release: Awaited<ReturnType<TestProject["deploy"]>>;
    try {
      release = await project.deploy("web@2.0.0", 1);
    } finally {
      await load.stop();
    }
    const report = await load.done;

    const stored = (await project.status(release.id)).releases[0]!;
    for (const view of [release, stored]) {
      expect(view.status).toBe("rolled_back");
      expect(view.rollouts[0]).toMatchObject({ version: "2.0.0", status: "rolled_back", weight: 0 });
    }
    const unhealthy = startedInstances(project, "web", "2.0.0");
    expect(unhealthy.length, "the 2.0.0 instances started and logged their pid").toBeGreaterThan(0);
    const rollout = stored.rollouts[0]!;
    expect(rollout.probeFailure?.probe).toBe("http:/health");
    expect(unhealthy.map((i) => i.endpoint)).toContain(rollout.probeFailure?.endpoint);
    expect(rollout.reason).toContain("http:/health");
    expect(rollout.reason).toContain(rollout.probeFailure!.endpoint);
    expect(rollout.reason).toContain("503");

    expect(report.failed, describeLoad(report)).toBe(0);
    expect(report.versions, "2.0.0 never received traffic").toEqual({ "1.0.0": report.ok });
    const after = await sampleVersions(url);
    expect(after.versions, describeLoad(after)).toEqual({ "1.0.0": 60 });

    for (const { pid } of unhealthy) expect(isProcessRunning(pid), `2.0.0 instance pid ${pid}`).toBe(false);
    const where = (await project.status()).where[0]!;
    expect(where.stable?.version).toBe("1.0.0");
    expect(where.instances.map((i) => i.version)).toEqual(["1.0.0", "1.0.0"]);
  });
});
