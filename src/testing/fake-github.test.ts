import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { FakeGitHub } from "./fake-github.js";

const TOKEN = "fake-token-123";
let fake: FakeGitHub | undefined;
const clock = new ManualClock(Date.UTC(2026, 0, 1));

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function call(method: string, path: string, body?: unknown, token = TOKEN) {
  const response = await fetch(`${fake!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const inputs = { version: "1.0.0", environment: "staging", tandem_id: "tandem-0123456789" };

describe("FakeGitHub", () => {
  it("answers dispatches like GitHub: 204, 401 bad token, 404 unknown workflow, 422 bad ref or inputs", async () => {
    fake = await FakeGitHub.start({
      token: TOKEN,
      now: () => clock.now(),
      repos: { "o/r": { workflows: [{ file: "deploy.yml", id: 9 }] } },
    });
    const dispatch = (body: unknown, workflow = "deploy.yml", token = TOKEN) =>
      call("POST", `/repos/o/r/actions/workflows/${workflow}/dispatches`, body, token);
    expect((await dispatch({ ref: "main", inputs })).status).toBe(204);
    expect((await dispatch({ ref: "main", inputs }, "9")).status).toBe(204);
    const unauthorised = await dispatch({ ref: "main", inputs }, "deploy.yml", "nope");
    expect(unauthorised).toMatchObject({
      status: 401,
      body: { message: "Bad credentials", documentation_url: expect.any(String) },
    });
    expect((await dispatch({ ref: "main", inputs }, "other.yml")).status).toBe(404);
    expect(await dispatch({ ref: "dev", inputs })).toMatchObject({
      status: 422,
      body: { message: "No ref found for: dev" },
    });
    expect(await dispatch({ ref: "main", inputs: { ...inputs, extra: "x" } })).toMatchObject({
      status: 422,
      body: { message: 'Unexpected inputs provided: ["extra"]' },
    });
    const ok = await dispatch({ ref: "main", inputs });
    expect(ok.headers.get("x-ratelimit-limit")).toBe("5000");
    expect(Number(ok.headers.get("x-ratelimit-remaining"))).toBeLessThan(5000);
    expect(fake.dispatches).toHaveLength(3);
  });

  it("lists runs filtered by event, branch and creation time, newest first; runs progress on the script; cancel answers 202 then 409", async () => {
    fake = await FakeGitHub.start({
      token: TOKEN,
      now: () => clock.now(),
      repos: { "o/r": { workflows: [{ file: "deploy.yml" }], branches: ["main", "dev"] } },
      script: () => ({ queuedFor: 1_000, runFor: 2_000, conclusion: "failure" }),
    });
    const old = fake.addRun({
      repo: "o/r",
      workflow: "deploy.yml",
      title: "push",
      event: "push",
      createdAt: clock.now() - 60_000,
    });
    fake.addRun({ repo: "o/r", workflow: "deploy.yml", title: "on dev", branch: "dev" });
    await call("POST", "/repos/o/r/actions/workflows/deploy.yml/dispatches", { ref: "main", inputs });
    const since = new Date(clock.now() - 1_000).toISOString();
    const listed = await call(
      "GET",
      `/repos/o/r/actions/workflows/deploy.yml/runs?event=workflow_dispatch&branch=main&created=>=${since}`,
    );
    expect(listed.body.workflow_runs.map((r: { display_title: string }) => r.display_title)).toEqual([
      `Deploy 1.0.0 [${inputs.tandem_id}]`,
    ]);
    const [run] = listed.body.workflow_runs;
    expect(run).toMatchObject({
      status: "queued",
      conclusion: null,
      event: "workflow_dispatch",
      head_branch: "main",
      html_url: `https://github.com/o/r/actions/runs/${run.id}`,
    });
    const all = await call("GET", "/repos/o/r/actions/workflows/deploy.yml/runs");
    expect(all.body.workflow_runs.at(-1).id).toBe(old);
    await clock.advance(1_500);
    expect((await call("GET", `/repos/o/r/actions/runs/${run.id}`)).body.status).toBe("in_progress");
    expect((await call("POST", `/repos/o/r/actions/runs/${run.id}/cancel`)).status).toBe(202);
    expect((await call("GET", `/repos/o/r/actions/runs/${run.id}`)).body).toMatchObject({
      status: "completed",
      conclusion: "cancelled",
    });
    expect((await call("POST", `/repos/o/r/actions/runs/${run.id}/cancel`)).status).toBe(409);
  });

  it("refuses with 403 and x-ratelimit-remaining 0 once the budget is spent, until the reset", async () => {
    fake = await FakeGitHub.start({
      token: TOKEN,
      now: () => clock.now(),
      repos: { "o/r": { workflows: [{ file: "deploy.yml" }] } },
    });
    const resetAt = clock.now() + 60_000;
    fake.exhaustRateLimit({ resetAt, after: 1 });
    const runs = "/repos/o/r/actions/workflows/deploy.yml/runs";
    const last = await call("GET", runs);
    expect(last.status).toBe(200);
    expect(last.headers.get("x-ratelimit-remaining")).toBe("0");
    const refused = await call("GET", runs);
    expect(refused).toMatchObject({
      status: 403,
      body: { message: expect.stringMatching(/rate limit exceeded/) },
    });
    // A wall-clock instant, as GitHub's: the reset is 60 s of the fake's clock ahead of the wall clock.
    const reset = Number(refused.headers.get("x-ratelimit-reset")) * 1000;
    expect(reset - Date.now()).toBeGreaterThan(55_000);
    expect(reset - Date.now()).toBeLessThanOrEqual(61_000);
    await clock.advance(60_000);
    expect((await call("GET", runs)).status).toBe(200);
    expect(fake.requests.map((r) => r.limited)).toEqual([false, true, false]);
  });
});
