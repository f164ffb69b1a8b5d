import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_APP_DIR } from "./helpers/paths.js";
import { TestProject, writeAppVersion } from "./helpers/project.js";
import { describeLoad, sampleVersions, startRecording, summarize } from "./helpers/traffic.js";
import { waitFor } from "./helpers/wait.js";

/**
 * Recreate stops every old instance before starting the new ones, so for a moment no version is up.
 * The builtin router holds the requests that arrive then (up to holdTimeout) instead of failing them.
 */
describe("recreate behind the builtin router", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("holds requests while no version is up: none fails, and the new version answers them", async () => {
    project = await TestProject.create({
      services: { web: { strategy: { recreate: {} }, holdTimeout: "10s" } },
    });
    const url = project.url("web");
    await project.deploy("web@1.0.0");

    const recording = startRecording({
      url,
      concurrency: 4,
      ratePerSecond: 100,
      maxRequests: 6_000,
      durationMs: 60_000,
    });
    let release: Awaited<ReturnType<TestProject["deploy"]>>;
    try {
      release = await project.deploy("web@1.1.0");
    } finally {
      await recording.stop();
    }
    const requests = await recording.stop();
    const summary = summarize(requests);
    expect(release.status).toBe("succeeded");
    expect(summary.failed, JSON.stringify(summary)).toBe(0);
    expect(summary.versions["1.0.0"] ?? 0, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(summary.versions["1.1.0"] ?? 0, JSON.stringify(summary)).toBeGreaterThan(0);

    // A request that started before any 1.1.0 instance existed, and was answered by 1.1.0 rather than
    // 1.0.0 (already gone), can only have waited in the router through the gap.
    const instances = (await project.status()).where[0]!.instances;
    expect(instances.map((i) => i.version)).toEqual(["1.1.0", "1.1.0"]);
    const newVersionSpawnedAt = Math.min(...instances.map((i) => i.startedAt));
    const held = requests.filter((r) => r.version === "1.1.0" && r.startedAt < newVersionSpawnedAt);
    expect(held.length, "requests held through the gap").toBeGreaterThan(0);
    for (const request of held) {
      expect(request.latencyMs, "held from before 1.1.0 existed until it answered").toBeGreaterThan(
        newVersionSpawnedAt - request.startedAt,
      );
    }

    const after = await sampleVersions(url);
    expect(after.versions, describeLoad(after)).toEqual({ "1.1.0": 60 });
  });

  it("answers held requests 503 once holdTimeout passes while the new version is still starting", async () => {
    project = await TestProject.create({
      services: {
        web: {
          strategy: { recreate: {} },
          holdTimeout: "200ms",
          appDir: "apps", // relative to the project's tandem.yaml
          health: [
            { type: "http", path: "/health", period: "250ms", timeout: "500ms", failureThreshold: 20 },
          ],
        },
      },
    });
    const appDir = join(project.dir, "apps");
    mkdirSync(join(appDir, "1.0.0"), { recursive: true });
    copyFileSync(join(DEMO_APP_DIR, "1.0.0", "release.json"), join(appDir, "1.0.0", "release.json"));
    writeAppVersion(appDir, "3.0.0", { healthyAfterMs: 1500 });
    const url = project.url("web");
    await project.deploy("web@1.0.0");

    const recording = startRecording({
      url,
      concurrency: 4,
      ratePerSecond: 50,
      maxRequests: 3_000,
      durationMs: 60_000,
      requestTimeoutMs: 5_000,
    });
    const deploy = project.spawnCli(["deploy", "web@3.0.0"]);
    let result: Awaited<typeof deploy.result>;
    try {
      await waitFor("a held request to be answered 503", () =>
        recording.finished().some((r) => r.status === 503),
      );
      result = await deploy.result;
    } finally {
      await recording.stop();
    }
    const requests = await recording.stop();
    const summary = summarize(requests);

    expect(result.code, result.stderr).toBe(0);
    const refused = requests.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(summary.failures, "only 503s after the hold bound: no timeout, no reset").toEqual({
      "503": refused.length,
    });
    for (const request of refused) {
      expect(request.latencyMs, "held up to holdTimeout").toBeGreaterThanOrEqual(190);
      expect(request.latencyMs, "never held much longer than holdTimeout").toBeLessThan(2_000);
    }
    expect(summary.versions["1.0.0"] ?? 0).toBeGreaterThan(0);
    expect(summary.versions["3.0.0"] ?? 0, "the slow version serves once it is healthy").toBeGreaterThan(0);

    const after = await sampleVersions(url);
    expect(after.versions, describeLoad(after)).toEqual({ "3.0.0": 60 });
  });
});
