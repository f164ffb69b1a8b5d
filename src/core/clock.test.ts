import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";

describe("ManualClock.sleep", () => {
  it("leaves no listener on the signal once a sleep is over", async () => {
    const clock = new ManualClock();
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i++) {
      const done = clock.sleep(1_000, signal);
      await clock.advance(1_000);
      await done;
    }
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  it("wakes the sleepers in time order, skipping aborted ones, and counts only those still waiting", async () => {
    const clock = new ManualClock(0);
    const woken: number[] = [];
    const controllers = Array.from({ length: 3000 }, () => new AbortController());
    const sleeps = controllers.map((controller, i) =>
      clock.sleep(1_000 + (i % 3) * 1_000, controller.signal).then(
        () => woken.push(i),
        () => undefined,
      ),
    );
    // Every other sleeper due at the same instant is aborted: only the rest wake, in order.
    controllers.forEach((controller, i) => {
      if (i % 2 === 1) controller.abort();
    });
    expect(clock.pendingSleepers()).toBe(1500);
    await clock.advance(1_000);
    expect(clock.pendingSleepers()).toBe(1000);
    await clock.advance(2_000);
    await Promise.all(sleeps);
    expect(clock.pendingSleepers()).toBe(0);
    const expected = [0, 1, 2].flatMap((due) =>
      Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 === due && i % 2 === 0),
    );
    expect(woken).toEqual(expected);
  });
});
