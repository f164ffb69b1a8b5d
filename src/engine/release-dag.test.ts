import { afterEach, describe, expect, it } from "vitest";
import type { DependencyConfig, StrategyConfig } from "../core/config.js";
import type { ReleaseState } from "../core/types.js";
import { engineFixture, simService } from "./engine.fixtures.js";

const canary: StrategyConfig = {
  type: "canary",
  steps: [
    { setWeight: 25 },
    { pause: { duration: 30_000 } },
    { setWeight: 50, name: "half" },
    { pause: { duration: 30_000 } },
  ],
  progressDeadline: 60_000,
};
const blueGreen: StrategyConfig = {
  type: "blueGreen",
  autoPromote: 10_000,
  scaleDownDelay: 5_000,
  progressDeadline: 60_000,
};

let fixture: Awaited<ReturnType<typeof engineFixture>>;
afterEach(async () => fixture?.cleanup());

const api = (strategy: StrategyConfig = canary) => simService(strategy, { name: "api" });
const web = (dependsOn: DependencyConfig[] = [{ service: "api" }]) =>
  simService(blueGreen, { name: "web", dependsOn });

async function live(versions: Record<string, string>) {
  const engine = fixture.newEngine();
  const release = await fixture.releaseOf(versions);
  const final = await fixture.drive(engine, release.id);
  expect(final.status).toBe("succeeded");
  return engine;
}

async function eventTypes(id: string, services?: string[]) {
  const events = await fixture.store.listEvents({ releaseId: id });
  return events
    .filter(
      (e) =>
        !services ||
        (e.service !== undefined && services.includes(e.service)) ||
        e.type.startsWith("release."),
    )
    .map((e) => `${e.type}${e.service ? ` ${e.service}` : ""}`);
}

describe("release DAG", () => {
  it("orders the rollouts by dependsOn and starts the dependent in the pass its dependency succeeds", async () => {
    fixture = await engineFixture(web(), { more: [api()] });
    const engine = await live({ web: "1.0.0", api: "1.0.0" });
    const { id } = await fixture.releaseOf({ web: "1.1.0", api: "2.0.0" });
    const created = (await fixture.store.getRelease(id))!;
    expect(created.rollouts.map((r) => r.service)).toEqual(["api", "web"]);
    expect(created.rollouts[1]!.needs).toEqual([{ service: "api" }]);

    let apiDoneAt: number | undefined;
    const final = await fixture.drive(engine, id, (r) => {
      if (r.rollouts[0]!.status === "succeeded" && apiDoneAt === undefined) {
        apiDoneAt = r.updatedAt;
        expect(r.rollouts[1]!.status).not.toBe("pending");
        expect(r.rollouts[1]!.startedAt).toBe(apiDoneAt);
      }
      if (apiDoneAt === undefined) expect(r.rollouts[1]!.status).toBe("pending");
      return false;
    });
    expect(final.status).toBe("succeeded");
    expect(apiDoneAt).toBeDefined();
    expect(serving(fixture.routers.get("api")!.weights())).toEqual({ "2.0.0": 100 });
    expect(serving(fixture.routers.get("web")!.weights())).toEqual({ "1.1.0": 100 });
  });

  it("moves independent services in parallel", async () => {
    fixture = await engineFixture(web([]), { more: [api()] });
    const engine = await live({ web: "1.0.0", api: "1.0.0" });
    const { id } = await fixture.releaseOf({ web: "1.1.0", api: "2.0.0" });
    const first = await engine.reconcileOnce(id);
    expect(first.rollouts.map((r) => r.status)).toEqual(["running", "running"]);
    expect((await fixture.drive(engine, id)).status).toBe("succeeded");
  });

  it("starts a dependent once its dependency finished a named step", async () => {
    fixture = await engineFixture(web([{ service: "api", step: "half" }]), { more: [api()] });
    const engine = await live({ web: "1.0.0", api: "1.0.0" });
    const { id } = await fixture.releaseOf({ api: "2.0.0", web: "1.1.0" });
    const webStarted = await fixture.drive(engine, id, (r) => r.rollouts[1]!.status !== "pending");
    expect(webStarted.rollouts[0]!.status).toBe("running");
    expect(webStarted.rollouts[0]!.weight).toBe(50);
    expect((await fixture.drive(engine, id)).status).toBe("succeeded");
  });

  it("withdraws a first release it backs out: nothing is stable for that service afterwards", async () => {
    fixture = await engineFixture(web(), { more: [api()] });
    const engine = fixture.newEngine();
    const { id } = await fixture.releaseOf({ api: "1.0.0", web: "bad" });
    const final = await fixture.drive(engine, id);
    expect(final.rollouts.map((r) => [r.service, r.status])).toEqual([
      ["api", "rolled_back"],
      ["web", "rolled_back"],
    ]);
    expect(await fixture.store.getStable("shop", "staging", "api")).toBeUndefined();
    expect(await fixture.store.getStable("shop", "staging", "web")).toBeUndefined();
    const history = await fixture.store.registryHistory("shop", "staging", "api");
    expect(history.map((entry) => entry.version)).toEqual(["", "1.0.0"]);
  });

  it("backs the whole release out in reverse dependency order when a later service fails", async () => {
    fixture = await engineFixture(web(), { more: [api()] });
    const engine = await live({ web: "1.0.0", api: "1.0.0" });
    const { id } = await fixture.releaseOf({ api: "2.0.0", web: "bad" });
    const final = await fixture.drive(engine, id);

    expect(final.status).toBe("rolled_back");
    expect(final.rollouts.map((r) => [r.service, r.status])).toEqual([
      ["api", "rolled_back"],
      ["web", "rolled_back"],
    ]);
    expect(final.reason).toMatch(/^web rolled back/);
    expect(serving(fixture.routers.get("api")!.weights())).toEqual({ "1.0.0": 100 });
    expect(serving(fixture.routers.get("web")!.weights())).toEqual({ "1.0.0": 100 });
    expect((await fixture.store.getStable("shop", "staging", "api"))?.version).toBe("1.0.0");
    expect((await fixture.store.getStable("shop", "staging", "web"))?.version).toBe("1.0.0");

    const story = await eventTypes(id);
    const at = (entry: string) => story.indexOf(entry);
    expect(at("rollout.succeeded api")).toBeGreaterThan(-1);
    expect(at("rollout.succeeded api")).toBeLessThan(at("rollout.started web"));
    expect(at("rollout.rolled_back web")).toBeLessThan(at("release.rolling_back"));
    expect(at("release.rolling_back")).toBeLessThan(at("rollout.rolling_back api"));
    expect(at("rollout.rolled_back api")).toBeLessThan(at("release.rolled_back"));
    expect(story.filter((e) => e === "release.rolling_back")).toHaveLength(1);
  });

  it("with rollbackPolicy: service, leaves the services that succeeded", async () => {
    fixture = await engineFixture(web(), { more: [api()], rollbackPolicy: "service" });
    const engine = await live({ web: "1.0.0", api: "1.0.0" });
    const { id } = await fixture.releaseOf({ api: "2.0.0", web: "bad" });
    const final = await fixture.drive(engine, id);
    expect(final.rollouts.map((r) => r.status)).toEqual(["succeeded", "rolled_back"]);
    expect(final.status).toBe("rolled_back");
    expect(serving(fixture.routers.get("api")!.weights())).toEqual({ "2.0.0": 100 });
    expect(await eventTypes(id)).not.toContain("release.rolling_back");
  });

  it("never starts the services that wait for one that failed", async () => {
    fixture = await engineFixture(web(), { more: [api()] });
    const engine = await live({ web: "1.0.0", api: "1.0.0" });
    const { id } = await fixture.releaseOf({ api: "bad", web: "1.1.0" });
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("rolled_back");
    expect(final.rollouts[1]).toMatchObject({ status: "aborted", skipped: true });
    expect(final.rollouts[1]!.reason).toMatch(/^not started: api rolled back/);
    const story = await eventTypes(id);
    expect(story).toContain("rollout.skipped web");
    expect(story).not.toContain("rollout.started web");
    expect(serving(fixture.routers.get("web")!.weights())).toEqual({ "1.0.0": 100 });
  });

  it("backs out a service still rolling out in parallel when another fails", async () => {
    const slow: StrategyConfig = {
      type: "canary",
      steps: [{ setWeight: 10 }, { pause: { duration: 600_000 } }],
      progressDeadline: 60_000,
    };
    fixture = await engineFixture(web([]), { more: [api(slow)] });
    const engine = await live({ web: "1.0.0", api: "1.0.0" });
    const { id } = await fixture.releaseOf({ api: "2.0.0", web: "bad" });
    const final: ReleaseState = await fixture.drive(engine, id);
    expect(final.rollouts.map((r) => r.status)).toEqual(["rolled_back", "rolled_back"]);
    expect(final.rollouts[0]!.reason).toMatch(/backing out the release: web rolled back/);
    expect(serving(fixture.routers.get("api")!.weights())).toEqual({ "1.0.0": 100 });
  });

  it("refuses a cycle created by requirements", async () => {
    fixture = await engineFixture(web([]), { more: [api()] });
    const meta = (service: string, version: string, requires: Record<string, string>) =>
      fixture.store.putVersion({
        project: "shop",
        service,
        version,
        provides: {},
        requires,
        publishedAt: 1,
        publishedBy: "ci",
        source: "publish",
      });
    await meta("api", "2.0.0", { web: "^1.1.0" });
    await meta("web", "1.1.0", { api: "^2.0.0" });
    const { createRelease } = await import("./create-release.js");
    await expect(
      createRelease(
        {
          environment: "staging",
          services: [
            { service: "api", version: "2.0.0" },
            { service: "web", version: "1.1.0" },
          ],
          actor: "alice",
        },
        {
          store: fixture.store,
          config: fixture.config,
          now: fixture.clock.now(),
          snapshot: () => ({}),
          metadata: (service, version) => fixture.store.getVersion("shop", service, version),
        },
      ),
    ).rejects.toThrow(/wait for each other: (api -> web -> api|web -> api -> web)/);
    expect(await fixture.store.listReleases({ project: "shop" })).toHaveLength(0);
  });
});

/** The versions that carry traffic (a router keeps a retired version at weight 0). */
function serving(weights: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(weights).filter(([, weight]) => weight > 0));
}
