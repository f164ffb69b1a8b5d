import { afterEach, describe, expect, it } from "vitest";
import type { Endpoint } from "../../core/types.js";
import type { ProbeResult } from "../../probes/types.js";
import { drive, type Harness, harness } from "./test-support.js";

const never = new AbortController().signal;
let h: Harness | undefined;

afterEach(async () => {
  await h?.fake.close();
  h = undefined;
});

/** Calls check every `stepMs` of virtual time until it is no longer pending (bounded). */
async function checkUntilDone(harness: Harness, endpoint: Endpoint, stepMs = 1_000): Promise<ProbeResult> {
  for (let i = 0; i < 10_000; i++) {
    const result = await harness.target.check(endpoint, never);
    if (!result.pending) return result;
    await harness.clock.advance(stepMs);
  }
  throw new Error("still pending after 10000 checks");
}

/** Lets real I/O run until something sleeps on the manual clock (the follow loop between polls). Bounded. */
async function untilSleeping(harness: Harness): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (harness.clock.pendingSleepers() === 0) {
    if (Date.now() > deadline) throw new Error("nothing slept on the clock within 10s");
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const runRequests = (harness: Harness) =>
  harness.fake.requests.filter(
    (r) => r.method === "GET" && /\/actions\/(runs\/\d+|workflows\/[^/]+\/runs)$/.test(r.path),
  );

describe("GitHubActionsTarget", () => {
  it("dispatches with version, environment, tandem_id and extra inputs, finds its run among others by tandem_id, follows it and reads its outputs", async () => {
    h = await harness({
      workflows: [
        { file: "deploy.yml", id: 1001, inputs: ["version", "environment", "tandem_id", "image", "region"] },
      ],
      config: { inputs: { image: `ghcr.io/shop/backend:\${version}`, region: `\${environment}-eu` } },
      script: () => ({
        appearAfter: 3_000,
        queuedFor: 5_000,
        runFor: 40_000,
        outputs: { url: "https://staging.shop.example", digest: "sha256:abc" },
      }),
    });
    const { fake, clock, target } = h;
    // Concurrent runs of the same workflow: another Tandem deployment, and a person's manual dispatch.
    fake.addRun({
      repo: "shop/backend",
      workflow: "deploy.yml",
      title: "Deploy 9.9.9 [tandem-zzzzzzzzzz]",
      runFor: 60_000,
    });
    const [endpoint] = await target.start("2.0.0", 1, never);
    expect(endpoint).toMatchObject({
      id: "gha-staging-backend-2.0.0",
      version: "2.0.0",
      host: "github-actions",
    });
    await clock.advance(4_000);
    const manual = fake.addRun({
      repo: "shop/backend",
      workflow: "deploy.yml",
      title: "Deploy hotfix by hand",
    });

    const result = await checkUntilDone(h, endpoint!);

    const [dispatch] = fake.dispatches;
    expect(dispatch).toMatchObject({
      repo: "shop/backend",
      workflow: "deploy.yml",
      ref: "main",
      inputs: {
        version: "2.0.0",
        environment: "staging",
        image: "ghcr.io/shop/backend:2.0.0",
        region: "staging-eu",
        tandem_id: expect.stringMatching(/^tandem-[a-z0-9]{10}$/),
      },
    });
    const run = fake.runOf(dispatch!.inputs.tandem_id!)!;
    expect(run.id).not.toBe(manual);
    expect(result).toMatchObject({ ok: true, message: `run ${run.id} succeeded: ${run.html_url}` });
    expect(target.outputs(endpoint!)).toEqual({ url: "https://staging.shop.example", digest: "sha256:abc" });
    const actions = target.takeActions();
    expect(actions.map((a) => [a.action, a.ok])).toEqual([
      ["deploy", true],
      ["workflow", true],
    ]);
    expect(actions[0]!.message).toContain(`tandem_id ${dispatch!.inputs.tandem_id}`);
    expect(actions[1]!.output).toBe(
      `${run.html_url}\noutputs: {"url":"https://staging.shop.example","digest":"sha256:abc"}`,
    );
    expect(target.takeActions()).toEqual([]);

    // Polling backs off: 5s, then growing, never above 30s, and only after the dispatch.
    const times = runRequests(h).map((r) => r.at);
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    expect(gaps[0]).toBe(5_000);
    expect(gaps.every((gap, i) => i === 0 || gap >= gaps[i - 1]!)).toBe(true);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000);
    expect(fake.requests.filter((r) => r.path.endsWith("/jobs"))).toHaveLength(1);
  });

  it("persists the run id so a restarted engine adopts the deployment without listing runs again", async () => {
    h = await harness({ script: () => ({ appearAfter: 1_000, runFor: 60_000 }) });
    const [endpoint] = await h.target.start("2.0.0", 1, never);
    await h.clock.advance(5_000);
    expect(await h.target.check(endpoint!, never)).toMatchObject({
      pending: true,
      message: expect.stringMatching(/is in_progress/),
    });
    const record = h.store.all()[0]!;
    const runId = h.fake.runOf(h.fake.dispatches[0]!.inputs.tandem_id!)!.id as number;
    expect(record.logFile).toContain(`"runId":${runId}`);

    const adopted = h.restarted();
    expect(await adopted.list()).toEqual([endpoint]);
    expect(await adopted.start("2.0.0", 1, never)).toEqual([endpoint]);
    expect(h.fake.dispatches).toHaveLength(1);
    const before = h.fake.requests.length;
    await h.clock.advance(60_000);
    expect(await adopted.check(endpoint!, never)).toMatchObject({ ok: true });
    expect(h.fake.requests.slice(before).map((r) => r.path)).toEqual([
      `/repos/shop/backend/actions/runs/${runId}`,
      `/repos/shop/backend/actions/runs/${runId}/jobs`,
    ]);

    // Stopping the deployment of a completed run (an old version) cancels nothing and records no action.
    const later = h.restarted();
    await later.stop([endpoint!], never);
    expect(await later.list()).toEqual([]);
    expect(later.takeActions()).toEqual([]);
    expect(h.fake.requests.at(-1)).toMatchObject({ method: "POST", status: 409 });
  });

  it("fails the check with the run's URL when the run concludes failure", async () => {
    h = await harness({ script: () => ({ queuedFor: 2_000, runFor: 10_000, conclusion: "failure" }) });
    const [endpoint] = await h.target.start("2.1.0", 1, never);
    const result = await checkUntilDone(h, endpoint!);
    const run = h.fake.runOf(h.fake.dispatches[0]!.inputs.tandem_id!)!;
    expect(result).toMatchObject({ ok: false, message: `run ${run.id} concluded failure: ${run.html_url}` });
    expect(result.pending).toBeUndefined();
    // The conclusion sticks: later checks answer at once, without asking GitHub again.
    const requests = h.fake.requests.length;
    expect(await h.target.check(endpoint!, never)).toEqual(result);
    expect(h.fake.requests).toHaveLength(requests);
    const concluded = h.target.takeActions().find((a) => a.action === "workflow")!;
    expect(concluded).toMatchObject({ ok: false, version: "2.1.0", output: run.html_url });
  });

  it("cancels the run when following it is aborted, and when a running deployment is stopped", async () => {
    h = await harness({ script: () => ({ hold: true }) });
    const [endpoint] = await h.target.start("3.0.0", 1, never);
    const controller = new AbortController();
    const following = h.target.follow(endpoint!, controller.signal);
    following.catch(() => {});
    await untilSleeping(h);
    const tandemId = h.fake.dispatches[0]!.inputs.tandem_id!;
    expect(h.fake.runOf(tandemId)).toMatchObject({ status: "in_progress" });
    controller.abort(new Error("release aborted"));
    await expect(following).rejects.toThrow("release aborted");
    const run = h.fake.runOf(tandemId)!;
    expect(run).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(h.fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/cancel"))).toEqual([
      expect.objectContaining({ path: `/repos/shop/backend/actions/runs/${run.id}/cancel`, status: 202 }),
    ]);
    expect(h.target.takeActions().at(-1)).toMatchObject({
      action: "cancel",
      ok: true,
      message: `aborted: run ${run.id} cancelled`,
    });

    // A second deployment, stopped while its run is in progress: cancelled, and forgotten.
    const [next] = await h.target.start("3.0.1", 1, never);
    await h.clock.advance(1_000);
    expect(await h.target.check(next!, never)).toMatchObject({ pending: true });
    await h.target.stop([next!], never);
    const second = h.fake.runOf(h.fake.dispatches[1]!.inputs.tandem_id!)!;
    expect(second).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(await h.target.list("3.0.1")).toEqual([]);
  });

  it("fails a run that never appears once startTimeout of virtual time has passed, not before", async () => {
    h = await harness({ script: () => ({ never: true }) });
    const [endpoint] = await h.target.start("4.0.0", 1, never);
    const dispatchedAt = h.clock.now();
    let result = await h.target.check(endpoint!, never);
    while (result.pending) {
      expect(h.clock.now() - dispatchedAt).toBeLessThan(120_000 + 30_000);
      await h.clock.advance(1_000);
      result = await h.target.check(endpoint!, never);
    }
    expect(h.clock.now() - dispatchedAt).toBeGreaterThanOrEqual(120_000);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(
      /^no run of deploy\.yml on main in shop\/backend appeared within 120s of the dispatch \(tandem_id tandem-[a-z0-9]{10}\)$/,
    );
  });

  it("cancels and fails a run still going after `timeout`", async () => {
    h = await harness({ script: () => ({ hold: true }), config: { timeout: 600_000 } });
    const [endpoint] = await h.target.start("5.0.0", 1, never);
    const result = await checkUntilDone(h, endpoint!, 5_000);
    const run = h.fake.runOf(h.fake.dispatches[0]!.inputs.tandem_id!)!;
    expect(result).toMatchObject({
      ok: false,
      message: `run ${run.id} did not complete within 10m; cancelled: ${run.html_url}`,
    });
    expect(run).toMatchObject({ conclusion: "cancelled" });
  });

  it("dispatches the rollback workflow with the stable version and waits for it; none without rollbackWorkflow", async () => {
    h = await harness({ config: { rollbackWorkflow: "rollback.yml" }, script: () => ({ runFor: 20_000 }) });
    await drive(h.clock, h.target.rollback("2.0.0", "1.0.0", never));
    expect(h.fake.dispatches.map((d) => [d.workflow, d.inputs.version])).toEqual([["rollback.yml", "1.0.0"]]);
    const actions = h.target.takeActions();
    expect(actions.map((a) => `${a.action} ${a.version} ${a.ok}`)).toEqual([
      "rollback 1.0.0 true",
      "workflow 1.0.0 true",
    ]);

    h.fake.dispatches.length = 0;
    await h.target.promote("2.0.0", "1.0.0", never);
    await h.target.rollback("2.0.0", undefined, never);
    expect(h.fake.dispatches).toEqual([]);
  });

  it("throws a TargetError when the rollback run fails", async () => {
    h = await harness({
      config: { rollbackWorkflow: "rollback.yml" },
      script: () => ({ conclusion: "failure" }),
    });
    await expect(drive(h.clock, h.target.rollback("2.0.0", "1.0.0", never))).rejects.toMatchObject({
      code: "TANDEM_ERR_TARGET",
      message: expect.stringMatching(
        /^rollback workflow of backend: run \d+ concluded failure: https:\/\/github\.com\//,
      ),
    });
  });
});
