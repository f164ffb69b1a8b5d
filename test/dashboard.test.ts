import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { ensureChromium, launchChromium } from "./helpers/chromium.js";
import type { CliProcess } from "./helpers/cli.js";
import {
  markWindow,
  type Person,
  screenshot,
  signIn,
  waitForText,
  windowIsMarked,
} from "./helpers/dashboard-page.js";
import { freePort } from "./helpers/ports.js";
import { TestProject } from "./helpers/project.js";

/**
 * The dashboard end to end: the real `tandem serve` (compiled CLI) drives a canary of the demo app
 * behind the builtin router, and a real headless Chromium shows it to a deployer, an approver and a
 * viewer, each signed in with a token from `tandem token create`.
 */

const STEPS = [
  { setWeight: 25 },
  { pause: {} },
  { analysis: "errors" },
  { approval: { required: 1 } },
  { setWeight: 50 },
  { pause: "1s" },
];

const ANALYSIS = {
  errors: {
    interval: "1s",
    count: 3,
    metrics: [
      {
        name: "error-rate",
        // A real measurement, different each time: a small fraction from the clock, below the threshold.
        provider: { type: "job", command: ["node", "-e", "console.log((Date.now() % 1000) / 20000)"] },
        failureCondition: "> 0.5",
      },
    ],
  },
};

describe("the web dashboard in a real browser", () => {
  let project: TestProject | undefined;
  let server: CliProcess | undefined;
  let browser: Browser | undefined;
  let executable: string;

  beforeAll(async () => {
    executable = await ensureChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.kill("SIGTERM").catch(() => undefined);
    await project?.cleanup();
  }, 120_000);

  it("shows a release live to a deployer, lets an approver approve it, refuses a viewer, and shows the registry and delivery figures", async () => {
    project = await TestProject.create({
      analysis: ANALYSIS,
      services: {
        db: { strategy: { rolling: {} }, replicas: 1 },
        api: { strategy: { canary: { steps: STEPS } }, replicas: 1, dependsOn: ["db"] },
      },
    });
    const token = async (name: string, role: string) =>
      (await project!.cliJson<{ token: string }>(["token", "create", "--name", name, "--role", role])).token;
    const tokens = {
      deployer: await token("dana", "deployer"),
      approver: await token("alice", "approver"),
      viewer: await token("victor", "viewer"),
    };
    // The versions live before: a first release has no canary steps.
    const first = await project.cliJson<ReleaseState>(["deploy", "db@1.0.0", "api@1.0.0"]);
    expect(first.status).toBe("succeeded");

    const port = await freePort();
    server = project.spawnCli(["serve", "--port", String(port)], { timeoutMs: 600_000 });
    const base = `http://127.0.0.1:${port}`;
    const started = Date.now();
    while (!server.output().stdout.includes("listening")) {
      if (Date.now() - started > 30_000 || !server.running)
        throw new Error(`serve did not start: ${server.output().stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const api = async <T>(who: keyof typeof tokens, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tokens[who]}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as T };
    };

    browser = await launchChromium(executable);

    // (a) The deployer signs in, starts watching, and the release progresses without a reload.
    const deployer = await signIn(browser, base, tokens.deployer);
    const page = deployer.page;
    expect(await page.getByTestId("who-name").textContent()).toBe("dana");
    expect(await page.getByTestId("who-role").textContent()).toBe("deployer");
    await markWindow(page);
    await screenshot(page, "01-deployer-releases");

    const created = await api<ReleaseState>("deployer", "POST", "/releases", {
      services: ["db@1.1.0", "api@1.1.0"],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    // The list updates live, newest first; the person follows the link.
    const row = page.locator(`tr[data-release="${id}"]`);
    await row.waitFor();
    expect(await page.locator("tbody tr").first().getAttribute("data-release")).toBe(id);
    await row.getByRole("link", { name: id }).click();
    const step = page.getByTestId("step-api");
    // The strategy adds its own scale steps around the configured ones: the total comes from the API.
    const total = (await api<ReleaseState>("deployer", "GET", `/releases/${id}`)).body.rollouts.find(
      (r) => r.service === "api",
    )!.steps.length;
    expect(total).toBeGreaterThanOrEqual(STEPS.length);
    await waitForText(step, new RegExp(`^step \\d+/${total} pause until resumed$`));
    await waitForText(page.getByTestId("weight-api"), /^weight 25%/);
    expect(await page.locator('.dag-node[data-service="db"] .badge').textContent()).toBe("succeeded");
    expect(await page.locator(".dag-edges path[marker-end]").count()).toBe(1);
    await screenshot(page, "02-deployer-paused-at-25");

    // Only the deployer's buttons, and only what the state allows.
    const button = (name: string) => page.locator(`button[data-action="${name}"]`);
    expect(await button("resume").isEnabled()).toBe(true);
    expect(await button("abort").isEnabled()).toBe(true);
    expect(await button("approve").isDisabled()).toBe(true);
    await button("resume").click();
    await page.getByRole("status").filter({ hasText: "Resume: accepted" }).waitFor();
    // The analysis runs: its measurements appear on the chart as they are taken.
    await waitForText(step, new RegExp(`^step \\d+/${total} approval$`));
    const released = (await api<ReleaseState>("deployer", "GET", `/releases/${id}`)).body;
    const measured = released.rollouts
      .find((r) => r.service === "api")!
      .analysis!.history.filter((h) => h.metric === "error-rate");
    expect(measured.length).toBe(3);
    const chart = page.locator('figure.chart[data-metric="error-rate"]');
    await waitForText(chart.locator("figcaption"), /failure > 0\.5/);
    expect(await chart.locator("circle.dot").count()).toBe(measured.length);
    expect(await chart.locator(".threshold line").count()).toBe(1);
    expect(await windowIsMarked(page)).toBe(true);
    await screenshot(page, "03-deployer-analysis-and-approval-gate");
    // Abort asks first, with a reason; cancelling sends nothing.
    await button("abort").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Reason").fill("second thoughts");
    await screenshot(page, "03b-deployer-abort-dialog");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect((await api<ReleaseState>("deployer", "GET", `/releases/${id}`)).body.status).toBe(
      "awaiting_approval",
    );

    // (c) The viewer sees the gate but no usable button; forcing the button shows the server's refusal.
    const viewer = await signIn(browser, base, tokens.viewer);
    await viewer.page.goto(`${base}/#/releases/${id}`);
    await viewer.page.reload();
    await waitForText(viewer.page.getByTestId("step-api"), new RegExp(`^step \\d+/${total} approval$`));
    await waitForText(viewer.page.getByTestId("gate-api"), /^approval waiting \(0\/1\)$/);
    const viewerApprove = viewer.page.locator('button[data-action="approve"]');
    expect(await viewerApprove.isDisabled()).toBe(true);
    expect(await viewerApprove.getAttribute("title")).toBe("role viewer may not approve");
    for (const action of ["reject", "resume", "abort", "rollback"]) {
      expect(await viewer.page.locator(`button[data-action="${action}"]`).isDisabled(), action).toBe(true);
    }
    const refusal = await api<{ error: { code: string; message: string } }>(
      "viewer",
      "POST",
      `/releases/${id}/approve`,
      { service: "api" },
    );
    expect(refusal.status).toBe(403);
    await viewerApprove.evaluate((element) => element.removeAttribute("disabled"));
    await viewerApprove.click();
    const alert = viewer.page.getByRole("alert");
    await waitForText(alert, /Refused/);
    expect(await alert.locator(".error-message").textContent()).toBe(refusal.body.error.message);
    expect(await alert.textContent()).toContain("TANDEM_ERR_FORBIDDEN");
    await screenshot(viewer.page, "04-viewer-refused");
    expect(
      (await api<ReleaseState>("viewer", "GET", `/releases/${id}`)).body.rollouts[1]?.gate?.outcome,
    ).toBe(undefined);

    // (b) The approver approves on the page; the release goes on and the timeline shows the approval.
    const approver = await signIn(browser, base, tokens.approver);
    await approver.page.locator(`tr[data-release="${id}"] a`).click();
    const approve = approver.page.locator('button[data-action="approve"]');
    await approver.page.locator('button[data-action="approve"]:enabled').waitFor();
    expect(await approver.page.locator('button[data-action="abort"]').isDisabled()).toBe(true);
    await approve.click();
    await approver.page.locator('.timeline li[data-type="approval.approved"]').waitFor();
    expect(
      await approver.page.locator('.timeline li[data-type="approval.approved"]').textContent(),
    ).toContain("alice");
    await waitForText(approver.page.locator(".page-title .badge"), /^succeeded$/);
    await screenshot(approver.page, "05-approver-approved-succeeded");

    // The deployer's page followed all of it without reloading.
    await waitForText(page.locator(".page-title .badge"), /^succeeded$/);
    await waitForText(step, new RegExp(`^done \\(${total}/${total}\\)$`));
    await waitForText(page.getByTestId("weight-api"), /^weight 100%/);
    await page.locator('.timeline li[data-type="approval.approved"]').waitFor();
    expect(await windowIsMarked(page)).toBe(true);
    await screenshot(page, "06-deployer-succeeded-live");

    // What runs where, as the API says it.
    const where = (
      await api<Array<{ service: string; stable?: { version: string } }>>("viewer", "GET", "/registry/where")
    ).body;
    await viewer.page.getByRole("link", { name: "What runs where" }).click();
    for (const entry of where) {
      const cell = viewer.page.locator(`table.where tr[data-service="${entry.service}"] td.version`);
      await waitForText(cell, new RegExp(`^${entry.stable!.version.replace(/\./g, "\\.")}`));
    }
    expect(where.map((e) => e.stable?.version)).toEqual(["1.1.0", "1.1.0"]);
    // Instances come from /registry/where, a second request from the versions': wait for them to render.
    const instances = viewer.page.locator('table.where tr[data-service="api"] .mono');
    await instances.first().waitFor({ timeout: 10_000 });
    expect(await instances.count()).toBeGreaterThan(0);
    await screenshot(viewer.page, "07-registry");

    // The delivery figures, as the report computes them.
    const report = (
      await api<{
        environments: Array<{
          environment: string;
          metrics: {
            deploymentFrequency: { deployments: number };
            changeFailureRate: { failures: number; deployments: number };
          };
        }>;
      }>("viewer", "GET", "/report")
    ).body;
    const staging = report.environments.find((e) => e.environment === "staging")!;
    expect(staging.metrics.deploymentFrequency.deployments).toBeGreaterThanOrEqual(2);
    await viewer.page.getByRole("link", { name: "Delivery" }).click();
    const figures = viewer.page.locator('dl.figures[data-scope="staging"]');
    await waitForText(
      figures.locator('[data-figure="deployment-frequency"]'),
      new RegExp(`${staging.metrics.deploymentFrequency.deployments} deployments`),
    );
    const cfr = staging.metrics.changeFailureRate;
    await waitForText(
      figures.locator('[data-figure="change-failure-rate"]'),
      new RegExp(`${cfr.failures} of ${cfr.deployments}`),
    );
    expect(await figures.locator('[data-figure="lead-time"]').count()).toBe(1);
    expect(await figures.locator('[data-figure="time-to-restore"]').count()).toBe(1);
    expect(await viewer.page.locator("figure.trend svg rect.ok").count()).toBeGreaterThan(0);
    await screenshot(viewer.page, "08-delivery");

    // The token went into no URL but the event stream's, and into no log line; the pages had no errors.
    for (const person of [deployer, viewer, approver] as Person[]) {
      for (const url of person.requests) {
        const holdsToken = Object.values(tokens).some(
          (t) => url.includes(t) || url.includes(encodeURIComponent(t)),
        );
        if (holdsToken) expect(url).toContain("/api/v1/events/stream?");
      }
      expect(Object.values(tokens).some((t) => person.page.url().includes(t))).toBe(false);
      expect(person.console.filter((line) => line.startsWith("pageerror"))).toEqual([]);
    }
    expect(deployer.requests.some((url) => url.includes("/api/v1/events/stream?"))).toBe(true);
    const log = server.output().stdout + server.output().stderr;
    for (const t of Object.values(tokens)) expect(log).not.toContain(t);
  }, 300_000);
});
