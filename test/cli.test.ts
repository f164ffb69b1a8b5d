import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState, Status } from "../src/core/types.js";
import type { ReleasePlan } from "../src/orchestrator.js";
import { describeRun } from "./helpers/cli.js";
import { isPortOpen } from "./helpers/ports.js";
import { environmentOf, isProcessRunning } from "./helpers/processes.js";
import { type ServiceOptions, TestProject } from "./helpers/project.js";
import { describeLoad, sampleVersions } from "./helpers/traffic.js";
import { waitFor } from "./helpers/wait.js";

const QUICK_CANARY: ServiceOptions = {
  strategy: { canary: { steps: [{ setWeight: 50 }, { pause: "500ms" }] } },
};
const MANUAL_PAUSE: ServiceOptions = {
  strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
};

/** Polls `tandem status --json` until the only unfinished release has `status`. */
async function waitForActiveRelease(project: TestProject, status: Status): Promise<ReleaseState> {
  return waitFor(
    `tandem status to show a ${status} release`,
    async () => {
      const [release] = (await project.status()).releases;
      return release?.status === status && release;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe("the tandem CLI", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("init writes a configuration that validate accepts", async () => {
    project = TestProject.inEmptyDirectory();
    const init = await project.cli(["init", "--project", "shop"]);
    expect(init.code, describeRun(["init"], init)).toBe(0);
    const validate = await project.cli(["validate"]);
    expect(validate.code, describeRun(["validate"], validate)).toBe(0);
    expect(validate.stdout).toContain("valid");
    const json = await project.cliJson<{ valid: boolean; services: string[] }>(["validate"]);
    expect(json).toMatchObject({ valid: true, services: ["web"] });
  });

  it("validate exits 2 on a typo and points at file:line:col with a suggestion", async () => {
    const text = [
      "project: shop",
      "services:",
      "  web:",
      "    target:",
      "      type: process",
      "      command: [node, server.js]",
      "      replcas: 2",
      "",
    ].join("\n");
    project = TestProject.withConfigText(text);
    const result = await project.cli(["validate"]);
    expect(result.code, describeRun(["validate"], result)).toBe(2);
    expect(result.stderr).toContain("tandem.yaml:7:7");
    expect(result.stderr).toContain('did you mean "replicas"');
  });

  it("schema prints the JSON Schema of tandem.yaml", async () => {
    project = TestProject.inEmptyDirectory();
    const result = await project.cli(["schema"]);
    expect(result.code, result.stderr).toBe(0);
    const schema = JSON.parse(result.stdout) as { properties?: Record<string, unknown> };
    expect(schema.properties).toHaveProperty("services");
    expect(schema.properties).toHaveProperty("project");
  });

  it("plan, deploy, history and status tell the same story in JSON", async () => {
    project = await TestProject.create({ services: { web: QUICK_CANARY } });
    const [firstPlan] = (await project.cliJson<ReleasePlan>(["plan", "web@1.0.0"])).services;
    expect(firstPlan).toMatchObject({ service: "web", version: "1.0.0", stableVersion: null });

    const release = await project.deploy("web@1.0.0");
    expect(release).toMatchObject({ status: "succeeded", environment: "staging" });

    const [plan] = (await project.cliJson<ReleasePlan>(["plan", "web@1.1.0"])).services;
    expect(plan).toMatchObject({
      service: "web",
      version: "1.1.0",
      stableVersion: "1.0.0",
      strategy: "canary",
    });
    expect(plan!.steps).toContainEqual({ type: "setWeight", weight: 50 });
    expect(plan!.steps).toContainEqual(expect.objectContaining({ type: "pause", duration: 500 }));
    expect(plan!.minDurationMs).toBeGreaterThanOrEqual(500);

    const history = await project.cliJson<ReleaseState[]>(["history"]);
    expect(history.map((r) => [r.id, r.status, r.rollouts[0]?.version])).toEqual([
      [release.id, "succeeded", "1.0.0"],
    ]);

    const status = await project.status();
    expect(status.releases, "no unfinished release").toEqual([]);
    expect(status.where).toHaveLength(1);
    expect(status.where[0]).toMatchObject({
      service: "web",
      stable: { version: "1.0.0", releaseId: release.id },
      router: { listenPort: project.ports.web },
    });
    expect(status.where[0]!.instances.map((i) => i.version)).toEqual(["1.0.0", "1.0.0"]);
    const routerToken = (await (await project.inspect()).store.getRouter("systest", "staging", "web"))?.token;
    expect(routerToken, "the router's admin token is in the store").toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(status)).not.toContain(routerToken);
    const one = await project.status(release.id);
    expect(one.releases[0]).toMatchObject({ id: release.id, status: "succeeded" });
    const types = one.events?.map((e) => e.type) ?? [];
    expect(types[0]).toBe("release.created");
    expect(types.at(-1)).toBe("release.succeeded");
    expect(status.events, "no events without a release named").toBeUndefined();
  });

  it("a manual pause waits until `tandem resume` from another process", async () => {
    project = await TestProject.create({ services: { web: MANUAL_PAUSE } });
    await project.deploy("web@1.0.0");
    const deploy = project.spawnCli(["--json", "deploy", "web@1.1.0"]);
    const paused = await waitForActiveRelease(project, "paused");
    expect(deploy.running, "deploy waits at the pause").toBe(true);
    expect(paused.rollouts[0]).toMatchObject({ status: "paused", weight: 50 });

    const resume = await project.cli(["resume", "--reason", "looks good"]);
    expect(resume.code, describeRun(["resume"], resume)).toBe(0);
    const result = await deploy.result;
    expect(result.code, describeRun(deploy.args, result)).toBe(0);
    expect((JSON.parse(result.stdout) as ReleaseState).status).toBe("succeeded");
    const events = await (await project.inspect()).events(paused.id);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["rollout.paused", "command.accepted"]));
    expect((await sampleVersions(project.url("web"))).versions).toEqual({ "1.1.0": 60 });
  });

  it("`tandem abort` during a pause ends the release aborted with traffic back on the stable version", async () => {
    project = await TestProject.create({ services: { web: MANUAL_PAUSE } });
    await project.deploy("web@1.0.0");
    const deploy = project.spawnCli(["deploy", "web@1.1.0"]);
    const paused = await waitForActiveRelease(project, "paused");
    const during = await sampleVersions(project.url("web"), 100);
    expect(during.versions["1.1.0"] ?? 0, describeLoad(during)).toBeGreaterThan(0);

    const abort = await project.cli(["abort", paused.id, "--reason", "wrong build"]);
    expect(abort.code, describeRun(["abort"], abort)).toBe(0);
    const result = await deploy.result;
    expect(result.code, describeRun(deploy.args, result)).toBe(1);

    const [aborted] = (await project.status(paused.id)).releases;
    expect(aborted).toMatchObject({ status: "aborted" });
    expect(aborted!.rollouts[0]).toMatchObject({ status: "aborted", weight: 0 });
    const after = await sampleVersions(project.url("web"));
    expect(after.versions, describeLoad(after)).toEqual({ "1.0.0": 60 });
    const where = (await project.status()).where[0]!;
    expect(where.stable?.version).toBe("1.0.0");
    expect(where.instances.map((i) => i.version)).toEqual(["1.0.0", "1.0.0"]);
  });

  it("`tandem rollback SERVICE` after two releases releases the previous version", async () => {
    project = await TestProject.create({ services: { web: QUICK_CANARY } });
    const first = await project.deploy("web@1.0.0");
    const second = await project.deploy("web@1.1.0");
    const rollback = await project.cli(["rollback", "web", "--reason", "customer reports"]);
    expect(rollback.code, describeRun(["rollback", "web"], rollback)).toBe(0);
    expect(rollback.stdout).toMatch(/rolls web back to 1\.0\.0/);

    const history = await project.cliJson<ReleaseState[]>(["history"]);
    expect(history).toHaveLength(3);
    expect(history[0]!.id).not.toBe(first.id);
    expect(history[0]!.id).not.toBe(second.id);
    expect(history[0]).toMatchObject({ status: "succeeded" });
    expect(history[0]!.rollouts[0]).toMatchObject({ version: "1.0.0", stableVersion: "1.1.0" });
    expect((await project.status()).where[0]!.stable?.version).toBe("1.0.0");
    const after = await sampleVersions(project.url("web"));
    expect(after.versions, describeLoad(after)).toEqual({ "1.0.0": 60 });
  });

  it("`tandem down` stops the routers and instances", async () => {
    project = await TestProject.create({ services: { web: QUICK_CANARY } });
    await project.deploy("web@1.0.0");
    const { routers, instances } = await project.recordedPids();
    expect(routers).toHaveLength(1);
    expect(instances).toHaveLength(2);
    expect(await isPortOpen(project.ports.web!)).toBe(true);

    const down = await project.cli(["down"]);
    expect(down.code, describeRun(["down"], down)).toBe(0);
    expect(down.stdout).toContain("stopped 2 instance(s) and 1 router(s)");
    for (const pid of [...routers, ...instances]) expect(isProcessRunning(pid), `pid ${pid}`).toBe(false);
    expect(await isPortOpen(project.ports.web!)).toBe(false);
    const where = (await project.status()).where[0]!;
    expect(where.instances).toEqual([]);
    expect(where.router).toBeUndefined();
  });

  it(`a \${secret:} read from the environment reaches the instances but never the output or the store`, async () => {
    const secret = `s3cret-${randomBytes(12).toString("hex")}`;
    project = await TestProject.create({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Tandem's interpolation syntax, not JavaScript's
      services: { web: { ...QUICK_CANARY, env: { API_TOKEN: "${secret:SECRET_TOKEN}" } } },
      env: { SECRET_TOKEN: secret },
    });
    const deploy = await project.cli(["--json", "deploy", "web@1.0.0"]);
    expect(deploy.code, describeRun(["deploy"], deploy)).toBe(0);
    const release = JSON.parse(deploy.stdout) as ReleaseState;
    const [instance] = (await project.status()).where[0]!.instances;
    expect(environmentOf(instance!.pid!).API_TOKEN, "the instance got the secret").toBe(secret);

    const outputs = [
      deploy.stdout,
      deploy.stderr,
      JSON.stringify(await project.status()),
      JSON.stringify(await project.status(release.id)),
      JSON.stringify(await project.cliJson(["history"])),
      (await project.cli(["status", release.id])).stdout, // the text form lists the events
      JSON.stringify(await (await project.inspect()).events(release.id)),
    ];
    for (const output of outputs) expect(output).not.toContain(secret);
    for (const file of filesUnder(join(project.dir, ".tandem"))) {
      expect(readFileSync(file).includes(secret), `${file} holds the secret`).toBe(false);
    }
  });
});
