import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { Endpoint } from "../core/types.js";
import { silentLogger } from "../core/types.js";
import type { Router } from "../routers/types.js";
import { FastEject } from "./fast-eject.js";
import type { ServiceRuntime } from "./runtime.js";

const endpoint: Endpoint = {
  id: "api-2.0.0-aaaa",
  version: "2.0.0",
  host: "127.0.0.1",
  port: 1,
  startedAt: 0,
};

function runtimeWith(router: Partial<Router>) {
  let listener: ((endpoint: Endpoint) => void) | undefined;
  const runtime = {
    service: { name: "api" },
    router,
    monitor: {
      watch: () => {},
      health: () => undefined,
      stop: () => {},
      onFailed: (l: (endpoint: Endpoint) => void) => {
        listener = l;
        return () => {};
      },
    },
  } as unknown as ServiceRuntime;
  return { runtime, fail: () => listener!(endpoint) };
}

describe("FastEject", () => {
  it("ejects a failed endpoint from the router and wakes the release's sleeping loop", async () => {
    const clock = new ManualClock();
    const ejected: string[][] = [];
    const { runtime, fail } = runtimeWith({ eject: async (ids) => void ejected.push(ids) });
    const fast = new FastEject();
    fast.wire("r1", runtime, silentLogger);
    let woke = false;
    const sleeping = fast.pause("r1", clock, 60_000, new AbortController().signal).then(() => (woke = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woke).toBe(false);
    fail();
    await sleeping;
    expect(ejected).toEqual([[endpoint.id]]);
    expect(clock.now()).toBe(new ManualClock().now());
  });

  it("wakes the release once the router has answered the eject, not before", async () => {
    const clock = new ManualClock();
    let answer: (() => void) | undefined;
    const { runtime, fail } = runtimeWith({ eject: () => new Promise<void>((r) => (answer = r)) });
    const fast = new FastEject();
    fast.wire("r1", runtime, silentLogger);
    let woke = false;
    const sleeping = fast.pause("r1", clock, 60_000, new AbortController().signal).then(() => (woke = true));
    fail();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(answer).toBeDefined();
    expect(woke).toBe(false);
    answer!();
    await sleeping;
    expect(woke).toBe(true);
  });

  it("skips the next sleep when the failure came during a pass, and works with routers that cannot eject", async () => {
    const clock = new ManualClock();
    const { runtime, fail } = runtimeWith({});
    const fast = new FastEject();
    fast.wire("r1", runtime, silentLogger);
    fail();
    await fast.pause("r1", clock, 60_000, new AbortController().signal);
    // Only once: the following sleep lasts its interval.
    let woke = false;
    const sleeping = fast.pause("r1", clock, 1_000, new AbortController().signal).then(() => (woke = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woke).toBe(false);
    await clock.advance(1_000);
    await sleeping;
    expect(woke).toBe(true);
  });

  it("logs instead of throwing when the router cannot eject", async () => {
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const { runtime, fail } = runtimeWith({ eject: () => Promise.reject(new Error("gone")) });
    new FastEject().wire("r1", runtime, log);
    fail();
    for (let i = 0; i < 10 && warnings.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(warnings).toEqual(["router could not eject a failed endpoint; the next pass drops it"]);
  });
});
