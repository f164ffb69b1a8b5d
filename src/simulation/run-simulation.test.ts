import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/index.js";
import { runSimulation } from "./run-simulation.js";
import type { TrafficSpec } from "./traffic.js";

const CONFIG = parseConfig(
  `project: shop
analysis:
  errors:
    interval: 10s
    metrics:
      - { name: error-rate, provider: { type: builtin, metric: error_rate }, failureCondition: "> 0.01" }
services:
  api:
    target: { type: process, command: [node, server.js], replicas: 3 }
    router: { type: builtin, listen: 18700 }
    strategy:
      canary:
        analysis: errors
        steps:
          - setWeight: 10
          - pause: 1m
          - setWeight: 50
          - pause: 1m
          - approval: { required: 1 }
`,
  "/tmp/simulate/tandem.yaml",
);

const traffic = (canaryErrorRate: number): TrafficSpec => ({
  ratePerSecond: 100,
  baseline: { errorRate: 0.001, latency: { medianMs: 40, sigma: 0.4 } },
  canary: { errorRate: canaryErrorRate, latency: { medianMs: 40, sigma: 0.4 } },
});

const request = (canaryErrorRate: number, seed = 7) => ({
  service: "api",
  environment: "default",
  traffic: traffic(canaryErrorRate),
  seed,
  horizonMs: 3_600_000,
});

describe("runSimulation", () => {
  it("rolls a version failing 5% of requests back at the background analysis's first look", async () => {
    const result = await runSimulation(CONFIG, request(0.05));
    expect(result.release.status).toBe("rolled_back");
    expect(result.release.reason).toMatch(/analysis errors failed/);
    // 10% of 100 requests/s for one 10s interval: about 100 canary requests, about 5 of them failed.
    expect(result.durationMs).toBeLessThanOrEqual(20_000);
    expect(result.traffic.canary.requests).toBeGreaterThan(50);
    expect(result.traffic.canary.requests).toBeLessThan(200);
    expect(result.traffic.failedBecauseOfCanary).toBeGreaterThan(0);
    const types = result.events.map((e) => e.type);
    expect(types).toContain("analysis.measured");
    expect(types.indexOf("analysis.failed")).toBeLessThan(types.lastIndexOf("rollout.rolled_back"));
  });

  it("promotes a good version after its steps, the approval step left out", async () => {
    const result = await runSimulation(CONFIG, request(0.001));
    expect(result.release.status).toBe("succeeded");
    expect(result.finished).toBe(true);
    // Two one-minute pauses; the approval step is not simulated.
    expect(result.durationMs).toBeGreaterThanOrEqual(120_000);
    expect(result.durationMs).toBeLessThan(180_000);
    expect(result.release.rollouts[0]!.steps.some((s) => s.type === "approval")).toBe(false);
    // 10% of 100 requests/s for a minute, then 50% for a minute: about 3,600.
    expect(result.traffic.canary.requests).toBeGreaterThan(3_000);
    expect(result.traffic.canary.requests).toBeLessThan(4_500);
  });

  it("is deterministic for a seed", async () => {
    const [a, b] = [
      await runSimulation(CONFIG, request(0.02, 3)),
      await runSimulation(CONFIG, request(0.02, 3)),
    ];
    expect(a.traffic).toEqual(b.traffic);
    expect(a.durationMs).toBe(b.durationMs);
  });

  it("refuses a service without a router", async () => {
    const config = parseConfig(
      "project: shop\nservices:\n  worker:\n    target: { type: sim }\n    strategy: { rolling: {} }\n",
      "/tmp/simulate/tandem.yaml",
    );
    await expect(runSimulation(config, { ...request(0), service: "worker" })).rejects.toThrow(
      /has no router/,
    );
  });

  it("with maxErrorRate, rolls back a 3% version and promotes a 0.2% one, both through the engine", async () => {
    const config = parseConfig(
      `project: shop
analysis:
  slo:
    interval: 10s
    metrics:
      - { name: errors, provider: { type: builtin, metric: error_rate }, maxErrorRate: 1% }
services:
  api:
    target: { type: sim }
    router: { type: builtin, listen: 18701 }
    strategy: { canary: { analysis: slo, steps: [{ setWeight: 20 }, { pause: 5m }, { setWeight: 50 }, { pause: 5m }] } }
`,
      "/tmp/simulate/tandem.yaml",
    );
    const bad = await runSimulation(config, { ...request(0.03), seed: 5 });
    expect(bad.release.status).toBe("rolled_back");
    expect(bad.events.some((e) => e.type === "analysis.measured" && e.data?.verdict === "running")).toBe(
      true,
    );
    const good = await runSimulation(config, { ...request(0.002), seed: 5 });
    expect(good.release.status).toBe("succeeded");
  });

  it("rollbackIfWorse rolls back a version worse than the stable one even within maxIncrease", async () => {
    const config = (rollbackIfWorse: boolean) =>
      parseConfig(
        `project: shop
analysis:
  vs-stable:
    interval: 10s
    metrics:
      - name: errors
        provider: { type: builtin, metric: error_rate }
        compare: baseline
        maxIncrease: { absolute: 3% }
        rollbackIfWorse: ${rollbackIfWorse}
services:
  api:
    target: { type: sim }
    router: { type: builtin, listen: 18702 }
    strategy: { canary: { analysis: vs-stable, steps: [{ setWeight: 20 }, { pause: 10m }, { setWeight: 50 }, { pause: 10m }] } }
`,
        "/tmp/simulate/tandem.yaml",
      );
    // 2% against a stable 0.1%: within the 3-point allowance, but clearly worse.
    const allowed = await runSimulation(config(false), { ...request(0.02), seed: 9 });
    expect(allowed.release.status).toBe("succeeded");
    const strict = await runSimulation(config(true), { ...request(0.02), seed: 9 });
    expect(strict.release.status).toBe("rolled_back");
    expect(strict.release.reason).toMatch(/worse at .* confidence \(conditional test/);
    expect(strict.durationMs).toBeLessThan(120_000);
  });

  it("pause: auto advances as soon as the comparison says not worse, and waits for nothing else", async () => {
    const config = parseConfig(
      `project: shop
analysis:
  vs-stable:
    interval: 10s
    metrics:
      - { name: errors, provider: { type: builtin, metric: error_rate }, compare: baseline, maxIncrease: { absolute: 1% } }
services:
  api:
    target: { type: sim }
    router: { type: builtin, listen: 18703 }
    strategy: { canary: { analysis: vs-stable, steps: [{ setWeight: 50 }, { pause: auto }] } }
`,
      "/tmp/simulate/tandem.yaml",
    );
    const pauseStep = (await runSimulation(config, request(0.001))).release.rollouts[0]!.steps.find(
      (s) => s.type === "pause",
    );
    expect(pauseStep).toMatchObject({ type: "pause", auto: true });
    expect(pauseStep).not.toHaveProperty("duration", expect.any(Number));
    const good = await runSimulation(config, { ...request(0.001), seed: 2 });
    expect(good.release.status).toBe("succeeded");
    expect(good.resumedForPeople).toBe(0);
    expect(good.durationMs).toBeLessThan(600_000);
    expect(() =>
      parseConfig(
        "project: shop\nservices:\n  api:\n    target: { type: sim }\n    router: { type: builtin, listen: 18704 }\n    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: auto }] } }\n",
        "/tmp/simulate/tandem.yaml",
      ),
    ).toThrow(/steps\[1\]\.pause: pause auto ends early on the background analysis/);
  });
});
