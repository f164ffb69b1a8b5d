import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfigWithRaw } from "./config/index.js";
import { ManualClock } from "./core/clock.js";
import { isTerminal } from "./core/types.js";
import { Orchestrator, parseServiceVersion } from "./orchestrator.js";
import { SqliteStore } from "./store/sqlite.js";
import { resetSimInstances } from "./targets/sim.js";
import { MemoryRouter } from "./testing/memory-router.js";

const YAML = `
project: shop
environments: { staging: {}, production: { services: { api: { router: { listen: 18501 } } } } }
services:
  api:
    target: { type: sim, replicas: 2, startupTime: 1s }
    router: { type: builtin, listen: 18500 }
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: 10s }] } }
`;

let dir: string;
let clock: ManualClock;
let tandem: Orchestrator;

beforeEach(async () => {
  resetSimInstances();
  dir = mkdtempSync(join(tmpdir(), "tandem-orchestrator-"));
  clock = new ManualClock();
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

async function release(version: string, environment = "staging") {
  const { id } = await tandem.createRelease({ environment, services: [`api@${version}`] });
  let state = await tandem.engine.reconcileOnce(id);
  for (let i = 0; i < 120 && !isTerminal(state.status); i++) {
    await clock.advance(1_000);
    state = await tandem.engine.reconcileOnce(id);
  }
  return state;
}

describe("Orchestrator", () => {
  it("opens from a tandem.yaml path alone, its store on first use, and runs a two-service release", async () => {
    const file = join(dir, "library", "tandem.yaml");
    mkdirSync(join(dir, "library"));
    writeFileSync(
      file,
      `project: lib
services:
  api: { target: { type: sim } }
  web: { target: { type: sim }, dependsOn: [api] }
`,
    );
    const library = new Orchestrator(file, { env: { TANDEM_USER: "ci" } });
    try {
      expect(existsSync(join(dir, "library", ".tandem"))).toBe(false);
      const created = await library.createRelease({ services: ["web@1.0.0", "api@1.0.0"] });
      expect(created.createdBy).toBe("ci");
      const final = await library.run(created.id);
      expect(final.status).toBe("succeeded");
      expect(final.rollouts.map((r) => r.service)).toEqual(["api", "web"]);
      expect((await library.getStatus(created.id)).status).toBe("succeeded");
      expect(existsSync(join(dir, "library", ".tandem"))).toBe(true);
    } finally {
      await library.close();
    }
  });

  it("promotes a release's versions to the next environment, with that environment's overrides", async () => {
    const staging = await release("1.0.0");
    expect(staging.status).toBe("succeeded");
    const promoted = await tandem.promote(staging.id, { to: "production" });
    expect(promoted).toMatchObject({ environment: "production", promotedFrom: staging.id });
    expect(promoted.rollouts.map((r) => [r.service, r.version])).toEqual([["api", "1.0.0"]]);
    const snapshot = promoted.services.api as { router: { listen: number } };
    expect(snapshot.router.listen).toBe(18501);
    expect((staging.services.api as { router: { listen: number } }).router.listen).toBe(18500);
  });

  it("parses SERVICE@VERSION and refuses anything else with a hint", () => {
    expect(parseServiceVersion("api@2.4.0")).toEqual({ service: "api", version: "2.4.0" });
    expect(parseServiceVersion("@scope/api@1.0.0")).toEqual({ service: "@scope/api", version: "1.0.0" });
    for (const bad of ["api", "api@", "@1.0.0"]) {
      expect(() => parseServiceVersion(bad)).toThrow(/is not SERVICE@VERSION/);
    }
  });

  it("refuses impossible releases before anything moves", async () => {
    await expect(tandem.createRelease({ environment: "qa", services: ["api@1.0.0"] })).rejects.toMatchObject({
      code: "TANDEM_ERR_INVALID_REQUEST",
      message: 'unknown environment "qa"',
    });
    await expect(tandem.createRelease({ services: ["web@1.0.0"] })).rejects.toThrow(/unknown service "web"/);
    await expect(tandem.createRelease({ services: ["api@1 0"] })).rejects.toThrow(/invalid version/);
    expect(await tandem.history()).toEqual([]);

    await release("1.0.0");
    await expect(tandem.createRelease({ services: ["api@1.0.0"] })).rejects.toThrow(
      /already the live version/,
    );
    const active = await tandem.createRelease({ services: ["api@2.0.0"] });
    await expect(tandem.createRelease({ services: ["api@3.0.0"] })).rejects.toMatchObject({
      code: "TANDEM_ERR_RELEASE_ACTIVE",
    });
    expect((await tandem.history({ active: true })).map((r) => r.id)).toEqual([active.id]);
  });

  it("records who acted, and rolls back to the previous version after a release ended", async () => {
    await release("1.0.0");
    const second = await release("2.0.0");
    expect(second.createdBy).toBe("alice");
    const result = await tandem.rollback("api", { reason: "slow checkout" });
    expect(result.kind).toBe("release");
    if (result.kind !== "release") return;
    expect(result.release.rollouts[0]).toMatchObject({ version: "1.0.0", stableVersion: "2.0.0" });
    expect(result.release.rollouts[0]!.steps.some((s) => s.type === "pause")).toBe(false);
  });

  it("turns rollback during a release into a command for the engine, and says no engine drives it", async () => {
    await release("1.0.0");
    const { id } = await tandem.createRelease({ services: ["api@2.0.0"] });
    expect(await tandem.isDriven(id)).toBe(false);
    await tandem.engine.reconcileOnce(id);
    expect(await tandem.isDriven(id)).toBe(true);
    expect(await tandem.rollback("api")).toEqual({ kind: "command", releaseId: id });
    expect((await tandem.store.pendingCommands(id)).map((c) => [c.type, c.actor])).toEqual([
      ["rollback", "alice"],
    ]);
  });

  it("refuses a version whose directory does not exist before anything moves", async () => {
    const yaml = `
project: shop
services:
  api:
    target: { type: process, command: [node, server.js], cwd: "releases/\${version}" }
`;
    const processProject = new Orchestrator(parseConfigWithRaw(yaml, join(dir, "tandem.yaml")), {
      clock,
      store: tandem.store,
    });
    await expect(processProject.createRelease({ services: ["api@9.9.9"] })).rejects.toMatchObject({
      code: "TANDEM_ERR_INVALID_REQUEST",
      message: expect.stringMatching(/^api@9\.9\.9: cannot start .*releases\/9\.9\.9 does not exist$/),
    });
    expect(await processProject.history()).toEqual([]);
  });

  it("starts the live version again after `down` stopped everything", async () => {
    await release("1.0.0");
    expect(await tandem.down()).toEqual({ instances: 2, routers: 0 });
    const again = await release("1.0.0");
    expect(again.status).toBe("succeeded");
    expect(again.rollouts[0]).toMatchObject({ version: "1.0.0", stableVersion: null });
    expect((await tandem.where())[0]!.instances).toHaveLength(2);
  });

  it("plans the strategy's steps once a version is live", async () => {
    const [first] = (await tandem.plan({ services: ["api@1.0.0"] })).services;
    expect(first).toMatchObject({ strategy: "first release", minDurationMs: 0 });
    await release("1.0.0");
    const [plan] = (await tandem.plan({ services: ["api@2.0.0"] })).services;
    expect(plan).toMatchObject({ strategy: "canary", stableVersion: "1.0.0", minDurationMs: 10_000 });
  });
});
