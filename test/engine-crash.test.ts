import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState, RolloutState, TandemEvent } from "../src/core/types.js";
import { describeRun } from "./helpers/cli.js";
import { isProcessRunning } from "./helpers/processes.js";
import { TestProject } from "./helpers/project.js";
import { describeLoad, sampleVersions, startSteadyLoad } from "./helpers/traffic.js";
import { waitFor } from "./helpers/wait.js";

const SOAK_MS = 6_000;
const TOLERANCE_MS = 1_500;

function stepIndexOf(event: TandemEvent): number | undefined {
  const index = event.data?.stepIndex;
  return typeof index === "number" ? index : undefined;
}

/**
 * The DESIGN's central promise: kill the engine at any instant and start it again; the release
 * continues from its stored state. Routers and instances are separate processes, so traffic never
 * notices, and timers come from stored timestamps, so a soak is neither reset nor skipped.
 */
describe("engine crash in the middle of a canary soak", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("a new engine continues the release where the killed one was, with zero failed requests", async () => {
    project = await TestProject.create({
      services: {
        web: {
          strategy: {
            canary: { steps: [{ setWeight: 30 }, { pause: "6s" }, { setWeight: 60 }, { pause: "2s" }] },
          },
        },
      },
    });
    const url = project.url("web");
    await project.deploy("web@1.0.0");
    const store = await project.inspect();

    const load = startSteadyLoad(url);
    try {
      const deploy = project.spawnCli(["deploy", "web@1.1.0"]);
      // Kill it well into the soak, so that "restart + 6s" and "stored start + 6s" are far apart.
      const soaking = await waitFor(
        "the rollout to be 2.5s into its 6s pause",
        async () => {
          const [release] = await store.history({ active: true });
          const rollout = release?.rollouts[0];
          const step = rollout?.steps[rollout.stepIndex];
          const inSoak = step?.type === "pause" && step.duration === SOAK_MS;
          return (
            inSoak && Date.now() >= rollout!.stepStartedAt + 2_500 && { release: release!, rollout: rollout! }
          );
        },
        { timeoutMs: 30_000 },
      );
      const routerBefore = (await project.recordedPids()).routers;
      expect(routerBefore).toHaveLength(1);
      const killed = await deploy.kill("SIGKILL");
      expect(killed.signal).toBe("SIGKILL");

      // No engine runs now: the router and the instances keep serving on their own.
      const frozen = await store.getStatus(soaking.release.id);
      const okAtKill = load.snapshot().ok;
      await waitFor(
        "100 more requests answered while no engine runs",
        () => load.snapshot().ok >= okAtKill + 100,
      );
      expect(load.snapshot().failed, describeLoad(load.snapshot())).toBe(0);
      const unchanged = await store.getStatus(soaking.release.id);
      expect(unchanged.revision, "nothing wrote the release while no engine ran").toBe(frozen.revision);

      const restartedAt = Date.now();
      const engine = await project.cli(["engine"], { timeoutMs: 60_000 });
      expect(engine.code, describeRun(["engine"], engine)).toBe(0);
      const report = await load.stop();

      const release: ReleaseState = await store.getStatus(soaking.release.id);
      const rollout: RolloutState = release.rollouts[0]!;
      expect(release.status).toBe("succeeded");
      expect(rollout).toMatchObject({ version: "1.1.0", weight: 100, status: "succeeded" });

      const events = await store.events(release.id);
      const eventsAfterRestart = events.filter((e) => e.at >= restartedAt);
      expect(
        events.filter((e) => e.type === "rollout.started"),
        "the rollout started once",
      ).toHaveLength(1);
      expect(eventsAfterRestart.length, "the new engine drove the release").toBeGreaterThan(0);
      const pauseIndex = soaking.rollout.stepIndex;
      for (const event of eventsAfterRestart.filter((e) => e.type === "rollout.step_started")) {
        expect(stepIndexOf(event), "no step before the pause started again").toBeGreaterThan(pauseIndex);
      }
      const firstCompleted = eventsAfterRestart.find((e) => e.type === "rollout.step_completed");
      expect(firstCompleted && stepIndexOf(firstCompleted), "the new engine picked up at the pause").toBe(
        pauseIndex,
      );

      const storedEnd = soaking.rollout.stepStartedAt + SOAK_MS;
      expect(firstCompleted!.at, "the soak was not cut short").toBeGreaterThanOrEqual(storedEnd - 250);
      // On a loaded machine the new engine's first pass may itself come after the stored end.
      const firstPass = eventsAfterRestart[0]!.at;
      expect(
        firstCompleted!.at - Math.max(storedEnd, firstPass),
        "the soak ended at its stored start + 6s (or at the new engine's first pass, if later)",
      ).toBeLessThanOrEqual(TOLERANCE_MS);
      // A restarted soak's timer would start with the new engine, after restartedAt: it could not end
      // before restartedAt + 6s, however slow the machine.
      expect(firstCompleted!.at, "the soak was not restarted").toBeLessThan(restartedAt + SOAK_MS);

      expect(report.failed, describeLoad(report)).toBe(0);
      expect(report.versions["1.0.0"] ?? 0).toBeGreaterThan(0);
      expect(report.versions["1.1.0"] ?? 0).toBeGreaterThan(0);
      const routerAfter = (await project.recordedPids()).routers;
      expect(routerAfter, "the same router served before and after").toEqual(routerBefore);
      expect(isProcessRunning(routerAfter[0]!)).toBe(true);

      const after = await sampleVersions(url);
      expect(after.versions, describeLoad(after)).toEqual({ "1.1.0": 60 });
    } finally {
      await load.stop();
    }
  }, 90_000);
});
