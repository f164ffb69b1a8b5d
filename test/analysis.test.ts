import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/paths.js";
import { TestProject } from "./helpers/project.js";
import { describeLoad, startSteadyLoad } from "./helpers/traffic.js";

/** 1.0.0 and 1.1.0 are good; 2.2.0 is healthy but answers 5xx to 3% of its requests. */
const APP_DIR = join(REPO_ROOT, "test/support/analysis-app");

const ANALYSIS = {
  errors: {
    interval: "1s",
    count: 6,
    metrics: [
      {
        name: "error-rate",
        provider: { type: "builtin", metric: "error_rate" },
        successCondition: "< 0.01",
      },
    ],
  },
};

describe("analysis with the builtin router's statistics, under load", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("rolls back a version failing 3% of requests despite healthy probes, and promotes a good one", async () => {
    project = await TestProject.create({
      analysis: ANALYSIS,
      services: {
        web: {
          appDir: APP_DIR,
          strategy: { canary: { steps: [{ setWeight: 50 }, { analysis: "errors" }] } },
        },
      },
    });
    const url = project.url("web");
    await project.deploy("web@1.0.0");

    const load = startSteadyLoad(url);
    let bad: Awaited<ReturnType<TestProject["deploy"]>>;
    let good: Awaited<ReturnType<TestProject["deploy"]>>;
    try {
      bad = await project.deploy("web@2.2.0", 1);
      good = await project.deploy("web@1.1.0");
    } finally {
      await load.stop();
    }
    const report = await load.done;
    expect(report.sent, describeLoad(report)).toBeGreaterThan(100);

    const badRollout = bad.rollouts[0]!;
    expect(badRollout).toMatchObject({ version: "2.2.0", status: "rolled_back", weight: 0 });
    expect(badRollout.probeFailure, "2.2.0 passed its health probes").toBeUndefined();
    expect(badRollout.reason).toMatch(/analysis errors failed: error-rate failed 1 time\(s\)/);
    expect(badRollout.analysis?.phase).toBe("failed");
    const failedLook = badRollout.analysis?.tallies["error-rate"]?.last;
    expect(failedLook?.verdict).toBe("failed");
    expect(failedLook?.value).toBeGreaterThan(0.01);

    const types = (await (await project.inspect()).events(bad.id)).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["analysis.started", "analysis.measured", "analysis.failed"]),
    );

    const goodRollout = good.rollouts[0]!;
    expect(goodRollout).toMatchObject({ version: "1.1.0", status: "succeeded", weight: 100 });
    expect(goodRollout.analysis?.phase).toBe("successful");
    expect(goodRollout.analysis?.tallies["error-rate"]?.measurements).toBe(6);
    const where = (await project.status()).where[0]!;
    expect(where.stable?.version).toBe("1.1.0");
  }, 120_000);

  it("background analysis rolls a bad version back mid-pause; pause auto ends early for a good one", async () => {
    project = await TestProject.create({
      analysis: {
        ...ANALYSIS,
        "vs-stable": {
          interval: "1s",
          metrics: [
            {
              name: "errors-vs-stable",
              provider: { type: "builtin", metric: "error_rate" },
              compare: "baseline",
              maxIncrease: { absolute: "1%" },
            },
          ],
        },
      },
      services: {
        web: {
          appDir: APP_DIR,
          strategy: {
            canary: {
              analysis: "vs-stable",
              steps: [{ setWeight: 50 }, { pause: { duration: "90s", auto: true } }],
            },
          },
        },
      },
    });
    const url = project.url("web");
    await project.deploy("web@1.0.0");

    const load = startSteadyLoad(url);
    let bad: Awaited<ReturnType<TestProject["deploy"]>>;
    let good: Awaited<ReturnType<TestProject["deploy"]>>;
    const startedGood = { at: 0 };
    try {
      bad = await project.deploy("web@2.2.0", 1);
      startedGood.at = Date.now();
      good = await project.deploy("web@1.1.0");
    } finally {
      await load.stop();
    }
    const badRollout = bad.rollouts[0]!;
    expect(badRollout.status).toBe("rolled_back");
    expect(badRollout.reason).toMatch(/background analysis vs-stable failed: errors-vs-stable failed/);
    expect(badRollout.backgroundRun?.tallies["errors-vs-stable"]?.last?.verdict).toBe("failed");

    const goodRollout = good.rollouts[0]!;
    expect(goodRollout.status).toBe("succeeded");
    expect(goodRollout.backgroundRun?.tallies["errors-vs-stable"]?.last?.verdict).toBe("successful");
    expect(Date.now() - startedGood.at, "the 90s pause ended on the comparison").toBeLessThan(85_000);
  }, 240_000);
});
