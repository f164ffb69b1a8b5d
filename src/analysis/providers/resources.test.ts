import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggregate, ResourcesProvider } from "./resources.js";
import { measureContext } from "./test-helpers.js";

const MIB = 1024 * 1024;
let busy: ChildProcess;
let idle: ChildProcess;

/** A node process; it prints "ready" once it holds its memory. */
async function startNode(script: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", `${script}; console.log("ready")`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  expect(chunk.toString()).toContain("ready");
  return child;
}

beforeAll(async () => {
  // Holds 200 MiB (touched, so resident) and keeps one core busy.
  busy = await startNode(
    "globalThis.keep = Buffer.alloc(200 * 1024 * 1024, 1); setImmediate(function spin() { const end = Date.now() + 50; while (Date.now() < end); setImmediate(spin); })",
  );
  idle = await startNode("setInterval(() => {}, 1000)");
});

afterAll(() => {
  busy?.kill("SIGKILL");
  idle?.kill("SIGKILL");
});

function provider(metric: "cpu" | "rss", aggregateBy: "max" | "sum" | "avg", pids: () => number[]) {
  return new ResourcesProvider(
    { type: "resources", metric, aggregate: aggregateBy, sampleMs: 500 },
    {
      instancePids: async (service, version) => {
        expect([service, version]).toEqual(["api", "2.0.0"]);
        return pids();
      },
    },
  );
}

describe("ResourcesProvider on real processes", () => {
  it("reads RSS in bytes: the busy process holds its 200 MiB, the idle one much less", async () => {
    const max = await provider("rss", "max", () => [busy.pid!, idle.pid!]).measure(measureContext());
    expect(max.error).toBeUndefined();
    expect(max.value).toBeGreaterThan(200 * MIB);
    expect(max.value).toBeLessThan(400 * MIB);
    const idleOnly = await provider("rss", "max", () => [idle.pid!]).measure(measureContext());
    expect(idleOnly.value).toBeGreaterThan(10 * MIB);
    expect(idleOnly.value).toBeLessThan(150 * MIB);
    const sum = await provider("rss", "sum", () => [busy.pid!, idle.pid!]).measure(measureContext());
    expect(sum.value).toBeGreaterThan(max.value!);
  });

  it("measures CPU as percent of one core, over a first sample and then since the previous look", async () => {
    // The machine may be shared and loaded: compare the busy process with the idle one rather than
    // expecting it to get a whole core.
    const busyCpu = provider("cpu", "max", () => [busy.pid!]);
    const idleCpu = provider("cpu", "max", () => [idle.pid!]);
    const [first, quiet] = await Promise.all([
      busyCpu.measure(measureContext()),
      idleCpu.measure(measureContext()),
    ]);
    expect(first.error).toBeUndefined();
    expect(first.value).toBeGreaterThan(15);
    expect(first.value).toBeLessThan(105);
    expect(quiet.value).toBeGreaterThanOrEqual(0);
    expect(quiet.value).toBeLessThan(first.value! / 3);

    await new Promise((resolve) => setTimeout(resolve, 500));
    const startedAt = Date.now();
    const second = await busyCpu.measure(measureContext());
    expect(Date.now() - startedAt).toBeLessThan(400); // since the previous look: no new sample needed
    expect(second.value).toBeGreaterThan(15);
    expect(second.value).toBeLessThan(105);

    const both = await provider("cpu", "sum", () => [busy.pid!, idle.pid!]).measure(measureContext());
    expect(both.value).toBeGreaterThan(15);
  });

  it("leaves out a process that is gone, and reports when none is running", async () => {
    const gone = spawn(process.execPath, ["-e", ""]);
    await once(gone, "exit");
    const some = await provider("rss", "max", () => [gone.pid!, idle.pid!]).measure(measureContext());
    expect(some.value).toBeGreaterThan(0);
    const none = await provider("rss", "max", () => [gone.pid!]).measure(measureContext());
    expect(none.error).toBe(`rss of api@2.0.0: none of the instances (pids ${gone.pid}) is running`);
    const empty = await provider("cpu", "max", () => []).measure(measureContext());
    expect(empty.error).toBe("cpu of api@2.0.0: no running instance");
  });

  it("reports a missing or failing instance lookup instead of throwing", async () => {
    const noDeps = new ResourcesProvider({ type: "resources", metric: "cpu" });
    expect((await noDeps.measure(measureContext())).error).toMatch(/cannot say which processes/);
    const failing = new ResourcesProvider(
      { type: "resources", metric: "rss" },
      {
        instancePids: async () => {
          throw new Error("store unavailable");
        },
      },
    );
    expect((await failing.measure(measureContext())).error).toBe(
      "rss of api@2.0.0: could not list the instances: store unavailable",
    );
  });

  it("aggregates", () => {
    expect(aggregate([1, 5, 3], "max")).toBe(5);
    expect(aggregate([1, 5, 3], "sum")).toBe(9);
    expect(aggregate([1, 5, 3], "avg")).toBe(3);
  });
});
