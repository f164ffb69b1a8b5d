import { afterEach, describe, expect, it } from "vitest";
import { describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";

const CONFIG = `project: shop
analysis:
  vs-stable:
    interval: 10s
    metrics:
      - { name: errors, provider: { type: builtin, metric: error_rate }, compare: baseline, maxIncrease: { absolute: 0.5% } }
services:
  api:
    target: { type: process, command: [node, server.js], replicas: 2 }
    router: { type: builtin, listen: 18750 }
    strategy:
      canary:
        analysis: vs-stable
        steps: [{ setWeight: 10 }, { pause: 5m }, { setWeight: 50 }, { pause: 5m }]
`;

interface Simulated {
  decision: string;
  reason?: string;
  durationMs: number;
  seed: number;
  traffic: { canary: { requests: number; errors: number }; failedBecauseOfCanary: number };
}

describe("tandem simulate", () => {
  let project: TestProject | undefined;
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
  });

  it("rolls back a version 4 points worse than the stable one, and promotes an equal one", async () => {
    project = TestProject.withConfigText(CONFIG);
    const bad = await project.cliJson<Simulated>(["simulate", "api", "--error-rate", "5%", "--seed", "11"]);
    expect(bad.decision).toBe("rolled_back");
    expect(bad.reason).toMatch(/vs-stable failed/);
    expect(bad.durationMs).toBeLessThan(300_000);
    expect(bad.traffic.failedBecauseOfCanary).toBeGreaterThan(0);

    const good = await project.cliJson<Simulated>(["simulate", "api", "--seed", "11"]);
    expect(good.decision).toBe("succeeded");
    expect(good.traffic.canary.requests).toBeGreaterThan(10_000);

    const text = await project.cli(["simulate", "api", "--error-rate", "5%", "--seed", "11"]);
    expect(text.code, describeRun(["simulate"], text)).toBe(0);
    expect(text.stdout).toMatch(/^decision: rolled back after \d/m);
    expect(text.stdout).toContain("seed 11");
  });

  it("refuses bad traffic options with the option's name", async () => {
    project = TestProject.withConfigText(CONFIG);
    const result = await project.cli(["simulate", "api", "--error-rate", "150%"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--error-rate 150%: expected a fraction or a percentage");
  });
});
