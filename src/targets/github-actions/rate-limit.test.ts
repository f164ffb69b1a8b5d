import { afterEach, describe, expect, it } from "vitest";
import { drive, type Harness, harness } from "./test-support.js";

const never = new AbortController().signal;
let h: Harness | undefined;

afterEach(async () => {
  await h?.fake.close();
  h = undefined;
});

describe("GitHub's rate limits", () => {
  it("after a response showing x-ratelimit-remaining: 0, sends nothing until the reset, then succeeds", async () => {
    h = await harness({ script: () => ({ appearAfter: 2_000, runFor: 30_000 }) });
    const resetAt = h.clock.now() + 10 * 60_000;
    h.fake.exhaustRateLimit({ resetAt, after: 1 });
    const [endpoint] = await h.target.start("2.0.0", 1, never);
    const dispatchedAt = h.clock.now();

    const result = await drive(h.clock, h.target.follow(endpoint!, never));

    expect(result).toMatchObject({ ok: true });
    const during = h.fake.requests.filter((r) => r.at > dispatchedAt && r.at < resetAt);
    expect(during).toEqual([]);
    expect(h.fake.requests.filter((r) => r.limited)).toEqual([]);
    expect(h.fake.requests.find((r) => r.at > dispatchedAt)!.at).toBeGreaterThanOrEqual(resetAt);
  });

  it("a 403 with x-ratelimit-remaining: 0 while checking keeps the deployment pending until the reset", async () => {
    h = await harness({ script: () => ({ runFor: 20_000 }) });
    const [endpoint] = await h.target.start("2.0.0", 1, never);
    const resetAt = h.clock.now() + 5 * 60_000;
    h.fake.exhaustRateLimit({ resetAt, after: 0 });

    const first = await h.target.check(endpoint!, never);
    expect(first).toMatchObject({ ok: false, pending: true, message: expect.stringMatching(/rate limit/) });
    let result = first;
    while (result.pending) {
      await h.clock.advance(1_000);
      result = await h.target.check(endpoint!, never);
      if (h.clock.now() > resetAt + 120_000) throw new Error("still pending long after the reset");
    }

    expect(result).toMatchObject({ ok: true });
    const during = h.fake.requests.filter((r) => r.at < resetAt && r.path.includes("/runs"));
    expect(during).toHaveLength(1);
    expect(during[0]).toMatchObject({ status: 403, limited: true });
    expect(h.fake.requests.filter((r) => r.at >= resetAt && r.status === 200).length).toBeGreaterThan(0);
  });

  it("a 429 with retry-after on the dispatch waits that long on the clock and then dispatches", async () => {
    h = await harness();
    const until = h.clock.now() + 90_000;
    h.fake.throttle(until);

    const [endpoint] = await drive(h.clock, h.target.start("2.0.0", 1, never));

    expect(endpoint).toMatchObject({ version: "2.0.0" });
    const dispatches = h.fake.requests.filter((r) => r.path.endsWith("/dispatches"));
    expect(dispatches.map((r) => r.status)).toEqual([429, 204]);
    expect(dispatches[1]!.at).toBeGreaterThanOrEqual(until);
    expect(h.fake.dispatches).toHaveLength(1);
    expect(h.target.takeActions()).toEqual([expect.objectContaining({ action: "deploy", ok: true })]);
  });

  it("a 403 secondary rate limit naming no time waits a minute between attempts", async () => {
    h = await harness();
    const begun = h.clock.now();
    h.fake.throttle(begun + 90_000, { status: 403, retryAfter: false });

    await drive(h.clock, h.target.start("2.0.0", 1, never));

    const dispatches = h.fake.requests.filter((r) => r.path.endsWith("/dispatches"));
    expect(dispatches.map((r) => [r.status, r.at - begun])).toEqual([
      [403, 0],
      [403, 60_000],
      [204, 120_000],
    ]);
  });

  it("a rate-limited wait ends when the caller aborts", async () => {
    h = await harness();
    h.fake.throttle(h.clock.now() + 3_600_000);
    const controller = new AbortController();
    const starting = h.target.start("2.0.0", 1, controller.signal);
    starting.catch(() => {});
    const deadline = Date.now() + 10_000;
    while (h.clock.pendingSleepers() === 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    controller.abort(new Error("stop waiting"));
    await expect(starting).rejects.toThrow("stop waiting");
    expect(h.fake.dispatches).toEqual([]);
  });
});
