import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { withTimeout } from "./abort.js";

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
