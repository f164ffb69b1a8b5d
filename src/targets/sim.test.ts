import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { silentLogger } from "../core/types.js";
import { memoryInstanceStore } from "../testing/memory-instances.js";
import {
  isSimHealthy,
  resetSimInstances,
  SimProbe,
  SimTarget,
  type SimTargetConfig,
  simHealth,
} from "./sim.js";
import type { TargetContext } from "./types.js";

const never = new AbortController().signal;

function setup(overrides: Partial<SimTargetConfig> = {}) {
  const clock = new ManualClock();
  const { store, instances } = memoryInstanceStore();
  const context: TargetContext = {
    project: "shop",
    environment: "staging",
    service: "api",
    stateDir: "/nonexistent/state",
    baseDir: "/nonexistent",
    store,
    clock,
    log: silentLogger,
  };
  const config: SimTargetConfig = {
    type: "sim",
    replicas: 2,
    startupTime: 5_000,
    unhealthyVersions: [],
    ...overrides,
  };
  return { clock, context, config, instances, target: new SimTarget(config, context) };
}

afterEach(() => resetSimInstances());

describe("SimTarget", () => {
  it("starts in-memory instances on host sim with distinct fake ports, recorded in the store", async () => {
    const { target, instances } = setup();
    const endpoints = await target.start("1.0.0", 3, never);

    expect(endpoints.map((endpoint) => endpoint.host)).toEqual(["sim", "sim", "sim"]);
    expect(new Set(endpoints.map((endpoint) => endpoint.port)).size).toBe(3);
    expect(instances.all().map((record) => record.id)).toEqual(endpoints.map((endpoint) => endpoint.id));
  });

  it("is starting for startupTime of virtual time, then healthy", async () => {
    const { target, clock } = setup();
    const [endpoint] = await target.start("1.0.0", 1, never);

    expect(simHealth(endpoint!)).toBe("starting");
    await clock.advance(4_999);
    expect(isSimHealthy(endpoint!)).toBe(false);
    await clock.advance(1);
    expect(simHealth(endpoint!)).toBe("healthy");
  });

  it("flags the instances of unhealthy versions", async () => {
    const { target, clock } = setup({ startupTime: 0, unhealthyVersions: ["2.0.0"] });
    const [good] = await target.start("1.0.0", 1, never);
    const [bad] = await target.start("2.0.0", 1, never);
    await clock.advance(1);

    expect(simHealth(good!)).toBe("healthy");
    expect(simHealth(bad!)).toBe("unhealthy");
  });

  it("lets a second target on the same store adopt the instances, oldest first", async () => {
    const { target, context, config, clock } = setup();
    const [first] = await target.start("1.0.0", 1, never);
    await clock.advance(10);
    const [second] = await target.start("2.0.0", 1, never);

    resetSimInstances();
    const adopting = new SimTarget(config, context);
    expect((await adopting.list()).map((endpoint) => endpoint.id)).toEqual([first!.id, second!.id]);
    expect((await adopting.list("2.0.0")).map((endpoint) => endpoint.id)).toEqual([second!.id]);
    expect(simHealth(first!)).toBe("starting");
  });

  it("forgets stopped instances", async () => {
    const { target, instances } = setup();
    const endpoints = await target.start("1.0.0", 2, never);
    await target.stop([endpoints[0]!], never);

    expect((await target.list()).map((endpoint) => endpoint.id)).toEqual([endpoints[1]!.id]);
    expect(instances.all()).toHaveLength(1);
    expect(simHealth(endpoints[0]!)).toBe("unknown");
  });

  it("reads the store at its first list only, then answers from what it started and stopped", async () => {
    const { target, context } = setup();
    let queries = 0;
    const listInstances = context.store.listInstances.bind(context.store);
    context.store.listInstances = (filter) => {
      queries++;
      return listInstances(filter);
    };
    const [a, b] = await target.start("1.0.0", 2, never);
    expect((await target.list()).map((endpoint) => endpoint.id)).toEqual([a!.id, b!.id]);
    const [c] = await target.start("2.0.0", 1, never);
    await target.stop([a!], never);

    expect((await target.list()).map((endpoint) => endpoint.id)).toEqual([b!.id, c!.id]);
    expect((await target.list("2.0.0")).map((endpoint) => endpoint.id)).toEqual([c!.id]);
    expect(queries).toBe(1);
  });
});

describe("SimProbe", () => {
  it("reports starting, unhealthy and healthy instances", async () => {
    const { target, clock } = setup({ startupTime: 1_000, unhealthyVersions: ["2.0.0"] });
    const probe = new SimProbe();
    const [good] = await target.start("1.0.0", 1, never);
    const [bad] = await target.start("2.0.0", 1, never);

    const starting = await probe.check(good!, never);
    expect(starting.ok).toBe(false);
    expect(starting.message).toContain("starting");

    await clock.advance(1_000);
    expect((await probe.check(good!, never)).ok).toBe(true);
    const unhealthy = await probe.check(bad!, never);
    expect(unhealthy.ok).toBe(false);
    expect(unhealthy.message).toContain("unhealthy");
    expect(probe.name).toBe("sim");
  });
});
