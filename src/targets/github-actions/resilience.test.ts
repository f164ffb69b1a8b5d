import { afterEach, describe, expect, it } from "vitest";
import { drive, type Harness, harness } from "./test-support.js";

const never = new AbortController().signal;
let h: Harness | undefined;

afterEach(async () => {
  await h?.fake.close();
  h = undefined;
});

describe("GitHubActionsTarget, when GitHub misbehaves or the workflow lacks the convention", () => {
  it("server errors while following keep the deployment pending and are retried at the next poll", async () => {
    h = await harness({ script: () => ({ runFor: 20_000 }) });
    const [endpoint] = await h.target.start("2.0.0", 1, never);
    h.fake.failNext(502, 503);
    const first = await h.target.check(endpoint!, never);
    expect(first).toMatchObject({
      ok: false,
      pending: true,
      message: expect.stringMatching(/failed: 502: Server Error/),
    });
    await h.clock.advance(5_000);
    expect(await h.target.check(endpoint!, never)).toMatchObject({
      pending: true,
      message: expect.stringMatching(/503/),
    });
    const result = await drive(h.clock, h.target.follow(endpoint!, never));
    expect(result).toMatchObject({ ok: true });
    expect(h.fake.requests.map((r) => r.status).filter((s) => s >= 500)).toEqual([502, 503]);
  });

  it("without run-name, takes the newest run created since the dispatch, not an older one, and warns", async () => {
    h = await harness({
      workflows: [{ file: "deploy.yml", runName: false }],
      script: () => ({ appearAfter: 2_000 }),
    });
    const older = h.fake.addRun({
      repo: "shop/backend",
      workflow: "deploy.yml",
      title: "deploy",
      createdAt: h.clock.now() - 3_600_000,
    });
    const [endpoint] = await h.target.start("2.0.0", 1, never);
    const result = await drive(h.clock, h.target.follow(endpoint!, never));
    const ours = h.fake.dispatches[0]!.runId!;
    expect(ours).not.toBe(older);
    expect(result).toMatchObject({ ok: true, message: expect.stringContaining(`run ${ours} succeeded`) });
    expect(h.log.lines.some((line) => line.startsWith("warn took the newest run"))).toBe(true);
  });

  it("promote dispatches promoteWorkflow with the new version and waits for its run", async () => {
    h = await harness({
      workflows: [{ file: "deploy.yml" }, { file: "promote.yml" }],
      config: { promoteWorkflow: "promote.yml" },
      script: () => ({ queuedFor: 3_000, runFor: 10_000 }),
    });
    const promoting = h.target.promote("2.0.0", "1.0.0", never);
    await drive(h.clock, promoting);
    expect(h.fake.dispatches.map((d) => [d.workflow, d.inputs.version])).toEqual([["promote.yml", "2.0.0"]]);
    const run = h.fake.runOf(h.fake.dispatches[0]!.inputs.tandem_id!)!;
    expect(run).toMatchObject({ status: "completed", conclusion: "success" });
    expect(h.target.takeActions().map((a) => a.action)).toEqual(["promote", "workflow"]);
  });
});
