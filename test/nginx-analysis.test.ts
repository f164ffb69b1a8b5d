import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureNginx } from "../src/routers/nginx/test-nginx.js";
import { killNginxUnder, nginxFailures } from "./helpers/nginx.js";
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
      { name: "error-rate", provider: { type: "builtin", metric: "error_rate" }, successCondition: "< 0.01" },
    ],
  },
};

/**
 * The analysis provider `builtin` reads the router's per-version statistics; with the nginx router they
 * come from nginx's access log. A version failing 3% of its requests must be caught just the same.
 */
describe("builtin analysis on the nginx router's access log (real nginx)", () => {
  let binary: string;
  let project: TestProject | undefined;

  beforeAll(async () => {
    binary = await ensureNginx();
  }, 600_000);

  afterEach(async () => {
    const finished = project;
    project = undefined;
    try {
      await finished?.cleanup();
    } finally {
      if (finished) killNginxUnder(finished.dir);
    }
  });

  it("rolls back a version failing 3% of requests and promotes a good one", async () => {
    project = await TestProject.create({
      analysis: ANALYSIS,
      services: {
        web: {
          appDir: APP_DIR,
          router: { type: "nginx", nginx: binary },
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
    // Every failure the clients saw came from 2.2.0 itself, none from the router.
    expect(report.failed, `${describeLoad(report)}\n${nginxFailures(project.dir)}`).toBe(
      report.versionFailures["2.2.0"] ?? 0,
    );

    const badRollout = bad.rollouts[0]!;
    expect(badRollout).toMatchObject({ version: "2.2.0", status: "rolled_back", weight: 0 });
    expect(badRollout.reason).toMatch(/analysis errors failed: error-rate failed 1 time\(s\)/);
    expect(badRollout.analysis?.tallies["error-rate"]?.last?.value).toBeGreaterThan(0.01);

    const goodRollout = good.rollouts[0]!;
    expect(goodRollout).toMatchObject({ version: "1.1.0", status: "succeeded", weight: 100 });
    expect(goodRollout.analysis?.phase).toBe("successful");
    expect(goodRollout.analysis?.tallies["error-rate"]?.measurements).toBe(6);
    const where = (await project.status()).where[0]!;
    expect(where.stable?.version).toBe("1.1.0");
    expect(where.traffic?.["2.2.0"]?.errors, "nginx's log counted 2.2.0's errors").toBeGreaterThan(0);
  }, 240_000);
});
