import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { Ticker, tickerOf } from "./ticker.js";

describe("Ticker", () => {
  it("wakes the waiters of an instant behind one sleep, in order, each after the previous one's start", async () => {
    const clock = new ManualClock(0);
    const ticker = new Ticker(clock);
    const woken: string[] = [];
    const waiter = (name: string) => ({
      wake: () => {
        woken.push(`${name}@${clock.now()}`);
        return Promise.resolve().then(() => woken.push(`${name} started`));
      },
    });
    ticker.add(1_000, waiter("a"));
    ticker.add(1_000, waiter("b"));
    ticker.add(2_000, waiter("c"));
    expect(clock.pendingSleepers()).toBe(2);

    await clock.advance(1_000);
    expect(woken).toEqual(["a@1000", "a started", "b@1000", "b started"]);
    await clock.advance(1_000);
    expect(woken.slice(4)).toEqual(["c@2000", "c started"]);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it("cancels an instant's sleep when its last waiter is removed, and skips removed waiters", async () => {
    const clock = new ManualClock(0);
    const ticker = tickerOf(clock);
    expect(tickerOf(clock)).toBe(ticker);
    const woken: string[] = [];
    const a = { wake: () => void woken.push("a") };
    const b = { wake: () => void woken.push("b") };
    const instant = ticker.add(500, a);
    ticker.add(500, b);
    ticker.remove(instant, a);
    expect(clock.pendingSleepers()).toBe(1);
    ticker.remove(instant, b);
    expect(clock.pendingSleepers()).toBe(0);
    await clock.advance(1_000);
    expect(woken).toEqual([]);

    ticker.add(1_500, a);
    await clock.advance(1_000);
    expect(woken).toEqual(["a"]);
  });
});
