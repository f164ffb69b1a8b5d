import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";
import { describeLoad, sampleVersions, startSteadyLoad } from "./helpers/traffic.js";

/** Release-level and rollout-level events of one release, in the order the store recorded them. */
async function story(project: TestProject, releaseId: string): Promise<string[]> {
  const events = await (await project.inspect()).events(releaseId);
  return events
    .filter(
      (e) => e.type.startsWith("release.") || /^rollout\.(started|succeeded|rolled_back|failed)/.test(e.type),
    )
    .map((e) => (e.service ? `${e.type} ${e.service}` : e.type));
}

describe("a release of a backend and the frontend that needs it, with real processes", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("canaries the backend, then blue-greens the frontend; a bad frontend backs the backend out", async () => {
    project = await TestProject.create({
      services: {
        api: {
          strategy: {
            canary: { steps: [{ setWeight: 25 }, { pause: "1s" }, { setWeight: 50 }, { pause: "1s" }] },
          },
        },
        web: {
          strategy: { blueGreen: { autoPromote: "1s", scaleDownDelay: "1s" } },
          dependsOn: ["api"],
          preview: true,
        },
      },
    });
    const p = project;
    const deploy = async (versions: string[], expectedCode: number): Promise<ReleaseState> =>
      p.cliJson<ReleaseState>(["deploy", ...versions], expectedCode);

    const first = await deploy(["web@1.0.0", "api@1.0.0"], 0);
    expect(first.rollouts.map((r) => [r.service, r.status])).toEqual([
      ["api", "succeeded"],
      ["web", "succeeded"],
    ]);

    const apiLoad = startSteadyLoad(p.url("api"));
    const webLoad = startSteadyLoad(p.url("web"));
    let release: ReleaseState;
    try {
      release = await deploy(["api@1.1.0", "web@2.0.0"], 1);
    } finally {
      await Promise.all([apiLoad.stop(), webLoad.stop()]);
    }
    const [api, web] = await Promise.all([apiLoad.done, webLoad.done]);

    expect(release.status).toBe("rolled_back");
    expect(release.reason).toMatch(/^web rolled back/);
    const [apiRollout, webRollout] = release.rollouts;
    expect(apiRollout).toMatchObject({ service: "api", version: "1.1.0", status: "rolled_back", weight: 0 });
    expect(apiRollout!.reason).toMatch(/backing out the release/);
    expect(webRollout).toMatchObject({ service: "web", version: "2.0.0", status: "rolled_back" });

    // The whole story, in order: api reached 100% before web started; web failed; api went back.
    const told = await story(p, release.id);
    const at = (entry: string) => {
      const index = told.indexOf(entry);
      expect(index, `${entry} in ${told.join(", ")}`).toBeGreaterThanOrEqual(0);
      return index;
    };
    expect(at("rollout.started api")).toBeLessThan(at("rollout.succeeded api"));
    expect(at("rollout.succeeded api")).toBeLessThan(at("rollout.started web"));
    expect(at("rollout.started web")).toBeLessThan(at("rollout.rolled_back web"));
    expect(at("rollout.rolled_back web")).toBeLessThan(at("release.rolling_back"));
    expect(at("release.rolling_back")).toBeLessThan(at("rollout.rolled_back api"));

    // The backend's new version carried traffic, and not one request failed, before or after the back-out.
    expect(api.failed, describeLoad(api)).toBe(0);
    expect(api.versions["1.1.0"] ?? 0, describeLoad(api)).toBeGreaterThan(0);
    // The bad frontend never got past its preview: its users saw only 1.0.0.
    expect(web.failed, describeLoad(web)).toBe(0);
    expect(web.versions, describeLoad(web)).toEqual({ "1.0.0": web.ok });

    for (const service of ["api", "web"]) {
      const now = await sampleVersions(p.url(service));
      expect(now.versions, `${service}: ${describeLoad(now)}`).toEqual({ "1.0.0": 60 });
    }
    const where = (await p.status()).where;
    const stable = Object.fromEntries(where.map((entry) => [entry.service, entry.stable?.version]));
    expect(stable).toEqual({ api: "1.0.0", web: "1.0.0" });
    for (const entry of where) {
      expect(
        entry.instances.map((i) => i.version),
        entry.service,
      ).toEqual(["1.0.0", "1.0.0"]);
    }

    const statusText = await p.cli(["status", release.id]);
    expect(statusText.stdout, describeRun(["status", release.id], statusText)).toMatch(
      /backing out the release/,
    );
  });
});
