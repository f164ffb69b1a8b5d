import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { AbortFanout, withTimeout } from "./abort.js";

describe("withTimeout", () => {
  it("leaves no listener on the parent signal however many calls it serves", async () => {
    const parent = new AbortController().signal;
    for (let i = 0; i < 50; i++) await withTimeout(parent, 1_000, async () => i);
    expect(getEventListeners(parent, "abort")).toHaveLength(0);
  });

  it("aborts the work when the parent aborts, and after the timeout", async () => {
    const parent = new AbortController();
    const seen = withTimeout(
      parent.signal,
      10_000,
      (signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason))),
    );
    parent.abort("stop");
    expect(await seen).toBe("stop");
    const timedOut = await withTimeout(
      new AbortController().signal,
      5,
      (signal) =>
        new Promise<unknown>((resolve) => signal.addEventListener("abort", () => resolve(signal.reason))),
    );
    expect((timedOut as DOMException).name).toBe("TimeoutError");
  });
});

describe("AbortFanout", () => {
  it("holds one listener on the parent however many children run, and aborts them all with it", async () => {
    const parent = new AbortController();
    const fanout = new AbortFanout(parent.signal);
    const children = Array.from({ length: 50 }, () => fanout.child());
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(1);
    for (const child of children.slice(0, 10)) child.done();
    expect(fanout.size).toBe(40);
    parent.abort("stop");
    expect(children.slice(10).every((c) => c.signal.aborted && c.signal.reason === "stop")).toBe(true);
    expect(children.slice(0, 10).some((c) => c.signal.aborted)).toBe(false);
    fanout.dispose();
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(0);
  });
});
