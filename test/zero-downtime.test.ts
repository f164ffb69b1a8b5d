import { afterEach, describe, expect, it } from "vitest";
import { TestProject } from "./helpers/project.js";
import { describeLoad, sampleVersions, startSteadyLoad } from "./helpers/traffic.js";

/**
 * A release under steady traffic through Tandem's router must not fail a single request, whatever the
 * progressive strategy: both versions serve during the move, and only the new one afterwards.
 */
const strategies: Array<{ name: string; replicas: number; strategy: Record<string, unknown> }> = [
  {
    name: "canary",
    replicas: 2,
    strategy: { canary: { steps: [{ setWeight: 20 }, { pause: "2s" }, { setWeight: 50 }, { pause: "2s" }] } },
  },
  {
    name: "blueGreen",
    replicas: 2,
    strategy: { blueGreen: { autoPromote: "2s", scaleDownDelay: "1s" } },
  },
  {
    name: "rolling",
    replicas: 3,
    strategy: {
      rolling: { batchSize: 1, maxSurge: 1, maxUnavailable: 0, pauseBetweenBatches: "500ms" },
    },
  },
];

describe("zero-downtime releases through the builtin router", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  for (const { name, replicas, strategy } of strategies) {
    it(`${name}: 1.0.0 -> 1.1.0 under load fails no request and ends 100% on 1.1.0`, async () => {
      project = await TestProject.create({ services: { web: { replicas, strategy } } });
      const url = project.url("web");
      const first = await project.deploy("web@1.0.0");
      expect(first.status).toBe("succeeded");
      expect((await sampleVersions(url, 20)).versions).toEqual({ "1.0.0": 20 });

      const load = startSteadyLoad(url);
      let release: Awaited<ReturnType<TestProject["deploy"]>>;
      try {
        release = await project.deploy("web@1.1.0");
      } finally {
        await load.stop();
      }
      const report = await load.done;

      expect(release.status).toBe("succeeded");
      expect(release.rollouts[0]).toMatchObject({ version: "1.1.0", stableVersion: "1.0.0", weight: 100 });
      expect(report.failed, describeLoad(report)).toBe(0);
      expect(report.rejected, describeLoad(report)).toBe(0);
      expect(report.sent, "the load ran through the whole release").toBeGreaterThan(200);
      expect(report.versions["1.0.0"] ?? 0, describeLoad(report)).toBeGreaterThan(0);
      expect(report.versions["1.1.0"] ?? 0, describeLoad(report)).toBeGreaterThan(0);

      const after = await sampleVersions(url);
      expect(after.ok, describeLoad(after)).toBe(60);
      expect(after.versions, describeLoad(after)).toEqual({ "1.1.0": 60 });

      const where = (await project.status()).where[0]!;
      expect(where.stable?.version).toBe("1.1.0");
      expect(where.instances.map((i) => i.version)).toEqual(Array(replicas).fill("1.1.0"));
      // the router's own count of what it served to the new version, shown by `tandem status`
      expect(where.traffic?.["1.1.0"]?.requests).toBeGreaterThanOrEqual((report.versions["1.1.0"] ?? 0) + 60);
      expect(where.traffic?.["1.1.0"]?.errors).toBe(0);
    });
  }
});
