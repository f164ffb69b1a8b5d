import { afterEach, describe, expect, it } from "vitest";
import type { AnalysisMetricSpec, AnalysisTemplateConfig } from "../core/analysis.js";
import type { CanaryStepConfig } from "../core/config.js";
import { isTerminal, type ReleaseState } from "../core/types.js";
import { engineFixture, simService } from "./engine.fixtures.js";
import type { Engine } from "./engine.js";

const errorRate: AnalysisMetricSpec = {
  name: "errors",
  provider: { type: "builtin", metric: "error_rate", quantile: 0.99 },
  successCondition: "< 0.01",
};

function template(overrides: Partial<AnalysisTemplateConfig> = {}): AnalysisTemplateConfig {
  return {
    interval: 1_000,
    count: 3,
    failureLimit: 0,
    consecutiveSuccessLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    dryRun: false,
    onInconclusive: "pause",
    metrics: [errorRate],
    ...overrides,
  };
}

type Fixture = Awaited<ReturnType<typeof engineFixture>>;
let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = undefined;
});

/** api 1.0.0 live, then a release of 2.0.0 whose canary steps are `steps`, with the templates given. */
async function setup(
  steps: CanaryStepConfig[],
  templates: Record<string, AnalysisTemplateConfig>,
  background?: string,
) {
  fixture = await engineFixture(
    simService({
      type: "canary",
      steps,
      progressDeadline: 60_000,
      ...(background ? { analysis: { templates: [background], overrides: {} } } : {}),
    }),
  );
  fixture.config.analysis = templates;
  await fixture.deployed("1.0.0");
  const engine = fixture.newEngine();
  const release = await fixture.release("2.0.0");
  return { engine, id: release.id, fx: fixture };
}

/** Passes one second apart, each second 200 requests to each version (canary errors at `canaryErrorRate`). */
async function driveWithTraffic(
  fx: Fixture,
  engine: Engine,
  id: string,
  canaryErrorRate: number,
  done: (r: ReleaseState) => boolean = () => false,
  maxSeconds = 120,
): Promise<ReleaseState> {
  let state = await engine.reconcileOnce(id);
  for (let i = 0; i < maxSeconds && !done(state) && !isTerminal(state.status); i++) {
    fx.router.addTraffic("1.0.0", 200, 0);
    fx.router.addTraffic("2.0.0", 200, Math.round(200 * canaryErrorRate));
    await fx.clock.advance(1_000);
    state = await engine.reconcileOnce(id);
  }
  return state;
}

async function events(fx: Fixture, id: string) {
  return fx.store.listEvents({ releaseId: id });
}

describe("analysis step", () => {
  it("promotes a version whose measurements pass, recording each one", async () => {
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: {} } }],
      {
        golden: template(),
      },
    );
    const final = await driveWithTraffic(fx, engine, id, 0);
    expect(final.status).toBe("succeeded");
    const all = await events(fx, id);
    expect(all.filter((e) => e.type === "analysis.measured")).toHaveLength(3);
    expect(all.map((e) => e.type)).toContain("analysis.succeeded");
    const run = final.rollouts[0]!.analysis!;
    expect(run.phase).toBe("successful");
    expect(run.tallies.errors?.last?.verdict).toBe("successful");
  });

  it("rolls back a version whose error rate fails, with the metric, the figure and the reason", async () => {
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: {} } }],
      {
        golden: template(),
      },
    );
    const final = await driveWithTraffic(fx, engine, id, 0.03);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toMatch(/analysis golden failed: errors failed 1 time\(s\).*0\.03/);
    const failed = (await events(fx, id)).find((e) => e.type === "analysis.failed");
    expect(failed?.data).toMatchObject({ metric: "errors", value: 0.03, phase: "failed" });
    expect(fx.router.weights()["1.0.0"]).toBe(100);
  });

  it("pauses on an inconclusive result until a person resumes", async () => {
    const inconclusive = template({ metrics: [{ ...errorRate, failureCondition: "> 0.05" }] });
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: {} } }],
      {
        golden: inconclusive,
      },
    );
    const paused = await driveWithTraffic(fx, engine, id, 0.03, (r) => r.status === "paused");
    expect(paused.status).toBe("paused");
    expect(paused.rollouts[0]!.pauseReason).toMatch(/inconclusive: errors inconclusive 1 time/);
    await fx.store.addCommand({
      id: "c1",
      releaseId: id,
      type: "resume",
      actor: "bob",
      createdAt: fx.clock.now(),
    });
    const final = await driveWithTraffic(fx, engine, id, 0.03);
    expect(final.status).toBe("succeeded");
  });

  it("rolls back on inconclusive when onInconclusive is rollback", async () => {
    const inconclusive = template({
      onInconclusive: "rollback",
      metrics: [{ ...errorRate, failureCondition: "> 0.05" }],
    });
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: {} } }],
      {
        golden: inconclusive,
      },
    );
    const final = await driveWithTraffic(fx, engine, id, 0.03);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toMatch(/inconclusive/);
  });

  it("treats more than consecutiveErrorLimit measurement errors in a row as a failure", async () => {
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: {} } }],
      {
        golden: template({ consecutiveErrorLimit: 1, count: 10 }),
      },
    );
    fx.router.statsError = "admin API unreachable";
    const final = await driveWithTraffic(fx, engine, id, 0);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toMatch(/could not measure.*2 times in a row.*admin API unreachable/);
    expect((await events(fx, id)).map((e) => e.type)).toContain("analysis.error");
  });

  it("dryRun records a failing metric but never fails", async () => {
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: { dryRun: true } } }],
      { golden: template() },
    );
    const final = await driveWithTraffic(fx, engine, id, 0.03);
    expect(final.status).toBe("succeeded");
    const all = await events(fx, id);
    expect(all.filter((e) => e.type === "analysis.measured").every((e) => e.data?.verdict === "failed")).toBe(
      true,
    );
    expect(all.find((e) => e.type === "analysis.succeeded")?.data).toMatchObject({ wouldBe: "failed" });
  });

  it("a restart neither repeats nor skips a look: intervals come from stored times", async () => {
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: {} } }],
      {
        golden: template({ interval: 10_000, count: 2 }),
      },
    );
    await driveWithTraffic(
      fx,
      engine,
      id,
      0,
      (r) => r.rollouts[0]!.analysis?.tallies.errors?.measurements === 1,
    );
    engine.close();
    // The dead engine's lease runs out; the new engine finds one look done and takes one more, not two.
    fx.router.addTraffic("2.0.0", 500, 0);
    await fx.clock.advance(16_000);
    const second = fx.newEngine();
    const again = await second.reconcileOnce(id);
    expect(again.rollouts[0]!.analysis?.tallies.errors?.measurements).toBe(2);
    const final = await driveWithTraffic(fx, second, id, 0);
    expect(final.status).toBe("succeeded");
    expect((await events(fx, id)).filter((e) => e.type === "analysis.measured")).toHaveLength(2);
  });

  it("an analysis that cannot decide ends at the service's pauseTimeout", async () => {
    const undecided: AnalysisMetricSpec = {
      name: "vs-stable",
      provider: { type: "builtin", metric: "error_rate", quantile: 0.99 },
      compare: { metric: "error_rate", maxIncrease: {}, alpha: 0.02 },
    };
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: {} } }],
      {
        golden: template({ count: undefined, interval: 60_000, metrics: [undecided] }),
      },
    );
    // No traffic at all: the comparison never decides.
    const final = await fx.drive(engine, id, () => false, 4_000);
    expect(final.status).toBe("failed");
    expect(final.rollouts[0]!.reason).toMatch(/did not decide within 1h \(pauseTimeout\)/);
  });
});

const PLACEHOLDER = `\${env:TANDEM_TEST_ANALYSIS_VALUE}`;

describe("other providers", () => {
  it("a job provider's printed number, its env placeholder read when it runs (never stored)", async () => {
    process.env.TANDEM_TEST_ANALYSIS_VALUE = "0.5";
    const job: AnalysisMetricSpec = {
      name: "job-value",
      provider: {
        type: "job",
        command: [process.execPath, "-e", "console.log(process.argv[1])", PLACEHOLDER],
      },
      successCondition: "< 0.01",
    };
    try {
      const { engine, id, fx } = await setup(
        [{ setWeight: 20 }, { analysis: { templates: ["golden"], overrides: {} } }],
        {
          golden: template({ metrics: [job] }),
        },
      );
      const final = await driveWithTraffic(fx, engine, id, 0);
      expect(final.status).toBe("rolled_back");
      expect(final.rollouts[0]!.analysis?.tallies["job-value"]?.last?.value).toBe(0.5);
      const step = final.rollouts[0]!.steps.find((s) => s.type === "analysis");
      expect(JSON.stringify(step)).toContain(PLACEHOLDER);
    } finally {
      delete process.env.TANDEM_TEST_ANALYSIS_VALUE;
    }
  });
});

describe("background analysis", () => {
  const steps: CanaryStepConfig[] = [
    { setWeight: 20 },
    { pause: { duration: 20_000 } },
    { setWeight: 50 },
    { pause: { duration: 20_000 } },
  ];

  it("runs alongside the steps from the first setWeight and rolls back when it fails", async () => {
    const { engine, id, fx } = await setup(steps, { golden: template({ count: undefined }) }, "golden");
    const final = await driveWithTraffic(fx, engine, id, 0.05);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[0]!.reason).toMatch(/background analysis golden failed/);
    expect(final.rollouts[0]!.backgroundRun?.kind).toBe("background");
  });

  it("keeps measuring until the rollout ends when all is well", async () => {
    const { engine, id, fx } = await setup(steps, { golden: template({ count: undefined }) }, "golden");
    const final = await driveWithTraffic(fx, engine, id, 0);
    expect(final.status).toBe("succeeded");
    expect(final.rollouts[0]!.backgroundRun?.tallies.errors?.measurements).toBeGreaterThan(30);
  });

  it("pause auto advances as soon as the comparison says not worse", async () => {
    const compare: AnalysisMetricSpec = {
      name: "vs-stable",
      provider: { type: "builtin", metric: "error_rate", quantile: 0.99 },
      compare: { metric: "error_rate", maxIncrease: { absolute: 0.01 }, alpha: 0.02 },
    };
    const { engine, id, fx } = await setup(
      [{ setWeight: 20 }, { pause: { duration: 600_000, auto: true } }],
      { golden: template({ count: undefined, metrics: [compare] }) },
      "golden",
    );
    const started = fx.clock.now();
    const final = await driveWithTraffic(fx, engine, id, 0, undefined, 700);
    expect(final.status).toBe("succeeded");
    expect(fx.clock.now() - started).toBeLessThan(300_000);
  });

  it("an inconclusive background analysis pauses the steps; resume starts it over", async () => {
    const inconclusive = template({
      count: undefined,
      metrics: [{ ...errorRate, failureCondition: "> 0.05" }],
    });
    const { engine, id, fx } = await setup(steps, { golden: inconclusive }, "golden");
    const paused = await driveWithTraffic(fx, engine, id, 0.03, (r) => r.status === "paused");
    expect(paused.status).toBe("paused");
    expect(paused.rollouts[0]!.pauseReason).toMatch(/background analysis golden inconclusive/);
    const stepWhenPaused = paused.rollouts[0]!.stepIndex;
    await fx.clock.advance(60_000);
    expect((await engine.reconcileOnce(id)).rollouts[0]!.stepIndex).toBe(stepWhenPaused);
    await fx.store.addCommand({
      id: "c1",
      releaseId: id,
      type: "resume",
      actor: "bob",
      createdAt: fx.clock.now(),
    });
    const resumed = await engine.reconcileOnce(id);
    expect(resumed.status).toBe("running");
    const final = await driveWithTraffic(fx, engine, id, 0);
    expect(final.status).toBe("succeeded");
    expect(final.rollouts[0]!.backgroundRun?.phase).toBe("running");
  });
});
