import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfigWithRaw } from "../config/index.js";
import { ManualClock } from "../core/clock.js";
import { isTerminal, type ReleaseState } from "../core/types.js";
import { Orchestrator } from "../orchestrator.js";
import { SqliteStore } from "../store/sqlite.js";
import { resetSimInstances } from "../targets/sim.js";
import { MemoryRouter } from "../testing/memory-router.js";
import { DAY, HOUR, MINUTE } from "./history.fixtures.js";
import { readAnalyticsInput } from "./store-reader.js";

/** Releases run by the engine in virtual time (sim target, in-memory router, a 10-minute pause), read back from SQLite. */
const YAML = `
project: shop
environments: { staging: {}, production: { services: { api: { router: { listen: 18601 } } } } }
services:
  api:
    target: { type: sim, unhealthyVersions: ["1.1.0"] }
    router: { type: builtin, listen: 18600 }
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: 10m }] } }
`;

let dir: string;
let clock: ManualClock;
let tandem: Orchestrator;

beforeEach(async () => {
  resetSimInstances();
  dir = mkdtempSync(join(tmpdir(), "tandem-analytics-"));
  clock = new ManualClock(Date.UTC(2026, 2, 1));
  const store = new SqliteStore(join(dir, "tandem.db"));
  await store.migrate();
  const router = new MemoryRouter();
  tandem = new Orchestrator(parseConfigWithRaw(YAML, join(dir, "tandem.yaml")), {
    store,
    clock,
    env: { TANDEM_USER: "alice" },
    plugins: { createRouter: () => router },
  });
});

afterEach(async () => {
  await tandem.close();
  rmSync(dir, { recursive: true, force: true });
});

async function drive(id: string): Promise<ReleaseState> {
  let state = await tandem.engine.reconcileOnce(id);
  for (let i = 0; i < 200 && !isTerminal(state.status); i++) {
    await clock.advance(5_000);
    state = await tandem.engine.reconcileOnce(id);
  }
  return state;
}

const deploy = async (version: string) =>
  drive((await tandem.createRelease({ environment: "staging", services: [`api@${version}`] })).id);

describe("analytics read from the store", () => {
  it("computes lead time, failures, rollbacks and restores of engine-run releases in virtual time", async () => {
    const published = clock.now();
    await tandem.store.putVersion({
      project: "shop",
      service: "api",
      version: "1.0.0",
      provides: {},
      requires: {},
      publishedAt: published,
      publishedBy: "ci",
      source: "publish",
    });
    await clock.advance(2 * HOUR);
    const first = await deploy("1.0.0");
    expect(first.status).toBe("succeeded");
    await clock.advance(DAY);
    const bad = await deploy("1.1.0");
    expect(bad.status).toBe("rolled_back");
    await clock.advance(30 * MINUTE);
    const fix = await deploy("1.2.0");
    expect(fix.status).toBe("succeeded");
    await clock.advance(HOUR);
    const rollback = await tandem.rollback("api", { environment: "staging" });
    if (rollback.kind !== "release") throw new Error("expected a rollback release");
    const back = await drive(rollback.release.id);
    expect(back.status).toBe("succeeded");

    const input = await readAnalyticsInput(tandem.store, tandem.config);
    expect(input.rollbackReleaseIds).toEqual([back.id]);
    expect(input.environments).toEqual(["staging", "production"]);

    const report = await tandem.analytics({ since: published });
    const m = report.environments[0]!.metrics;
    expect(report.window).toMatchObject({ since: published, until: clock.now() });
    // A first release goes straight to the new version; later ones through the canary's 10-minute pause.
    const live = first.rollouts[0]!.promotedAt!;
    expect(fix.rollouts[0]!.promotedAt! - fix.createdAt).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(m.leadTime).toEqual({
      count: 1,
      median: live - published,
      p90: live - published,
      withoutPublishTime: 1,
    });
    expect(m.releases).toMatchObject({ total: 4, succeeded: 2, rolledBack: 1, rollbacks: 1 });
    expect(m.changeFailureRate).toEqual({ failures: 2, deployments: 3, rate: 2 / 3 });
    const restores = [fix.finishedAt! - bad.finishedAt!, back.finishedAt! - back.createdAt];
    expect(restores[0]).toBeGreaterThan(30 * MINUTE + 10 * MINUTE);
    expect(m.timeToRestore).toMatchObject({ count: 2, median: (restores[0]! + restores[1]!) / 2, open: [] });
    expect(m.durations.release.count).toBe(4);

    // Filters reach the store query; an unknown name is refused.
    const production = await tandem.analytics({ environment: "production" });
    expect(production.environments.map((e) => [e.environment, e.metrics.releases.total])).toEqual([
      ["production", 0],
    ]);
    await expect(tandem.analytics({ service: "wbe" })).rejects.toThrow(
      'unknown service "wbe"; services: api',
    );
  });
});
