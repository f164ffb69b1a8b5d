import { afterEach, describe, expect, it } from "vitest";
import { drive, type Harness, harness } from "./test-support.js";

const never = new AbortController().signal;
let h: Harness | undefined;

afterEach(async () => {
  await h?.fake.close();
  h = undefined;
});

/** What Octokit's throttling and retry plugins are wired to do in the github-actions client. */
describe("GitHubClient with Octokit's throttling and retry plugins", () => {
  it("a 403 secondary rate limit with retry-after: 7 blocks for exactly 7 s of clock time, sending nothing meanwhile", async () => {
    h = await harness({ script: () => ({ runFor: 60_000 }) });
    const [endpoint] = await h.target.start("2.0.0", 1, never);
    const limitedAt = h.clock.now();
    const sentBefore = h.fake.requests.length;
    h.fake.throttle(limitedAt + 7_000, { status: 403 });

    const first = await h.target.check(endpoint!, never);

    expect(first).toMatchObject({ pending: true, message: expect.stringMatching(/rate limit/) });
    expect(h.target.client.blockedUntil).toBe(limitedAt + 7_000);
    const refused = h.fake.requests.slice(sentBefore);
    expect(refused).toEqual([expect.objectContaining({ status: 403, limited: true })]);
    for (let step = 0; step < 7; step++) {
      await h.clock.advance(step === 6 ? 999 : 1_000);
      await h.target.check(endpoint!, never);
    }
    expect(h.clock.now()).toBe(limitedAt + 6_999);
    expect(h.fake.requests.filter((r) => r.at > limitedAt)).toEqual([]);

    await h.clock.advance(1);
    expect(await h.target.check(endpoint!, never)).toMatchObject({
      pending: true,
      message: expect.stringMatching(/in_progress/),
    });
    expect(h.fake.requests.filter((r) => r.at > limitedAt).map((r) => [r.status, r.at - limitedAt])).toEqual([
      [200, 7_000],
    ]);
  });

  it("a dispatch refused by a secondary rate limit with retry-after: 7 is sent again after exactly 7 s of clock time", async () => {
    h = await harness();
    const begun = h.clock.now();
    h.fake.throttle(begun + 7_000);

    await drive(h.clock, h.target.start("2.0.0", 1, never), 100);

    const dispatches = h.fake.requests.filter((r) => r.path.endsWith("/dispatches"));
    expect(dispatches.map((r) => [r.status, r.at - begun])).toEqual([
      [429, 0],
      [204, 7_000],
    ]);
  });

  it("a 502 while reading the outputs of a finished run is retried at once, and the outputs are read", async () => {
    h = await harness({ script: () => ({ runFor: 10_000, outputs: { url: "https://shop.example" } }) });
    const [endpoint] = await h.target.start("2.0.0", 1, never);
    h.fake.failNextOn(/\/jobs$/, 502);

    const result = await drive(h.clock, h.target.follow(endpoint!, never));

    expect(result).toMatchObject({ ok: true });
    const jobs = h.fake.requests.filter((r) => r.path.endsWith("/jobs"));
    expect(jobs.map((r) => r.status)).toEqual([502, 200]);
    const workflow = h.target.takeActions().find((a) => a.action === "workflow");
    expect(workflow?.output).toContain("https://shop.example");
  });

  it("a 502 answering a dispatch is not retried: GitHub may have started the run", async () => {
    h = await harness();
    h.fake.failNext(502);

    await expect(h.target.start("2.0.0", 1, never)).rejects.toThrow(/502/);

    expect(h.fake.requests.filter((r) => r.path.endsWith("/dispatches")).map((r) => r.status)).toEqual([502]);
  });
});
