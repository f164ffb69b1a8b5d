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
});
