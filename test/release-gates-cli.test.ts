import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState, TandemEvent } from "../src/core/types.js";
import { type CliResult, describeRun } from "./helpers/cli.js";
import { type StatusJson, TestProject } from "./helpers/project.js";
import { waitFor } from "./helpers/wait.js";

/**
 * What stops a release before anything moves (unmet version requirements, a dependency cycle, the
 * promotion order, a change freeze) and the approval gate, driven through the compiled CLI with
 * services on the sim target (nothing to start). The acting person comes from TANDEM_USER.
 */

const as = (user: string) => ({ env: { TANDEM_USER: user }, timeoutMs: 30_000 });
const ALICE = as("alice");

describe("release gates through the CLI", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  function open(config: string): TestProject {
    project = TestProject.withConfigText(config);
    return project;
  }

  async function run(p: TestProject, args: string[], user = "alice"): Promise<CliResult> {
    return p.cli(args, as(user));
  }

  async function ok(p: TestProject, args: string[], user = "alice"): Promise<string> {
    const result = await run(p, args, user);
    expect(result.code, describeRun(args, result)).toBe(0);
    return result.stdout;
  }

  /** Runs ARGS expecting a refusal (exit code 2); returns stderr. */
  async function refused(p: TestProject, args: string[], user = "alice"): Promise<string> {
    const result = await run(p, args, user);
    expect(result.code, describeRun(args, result)).toBe(2);
    return result.stderr;
  }

  /** `tandem --json deploy ...` that must succeed; the final release. */
  async function deployed(p: TestProject, args: string[]): Promise<ReleaseState> {
    const release = await p.cliJson<ReleaseState>(["deploy", ...args], 0, ALICE);
    expect(release.status).toBe("succeeded");
    return release;
  }

  const history = (p: TestProject, env?: string) =>
    p.cliJson<ReleaseState[]>(env ? ["history", "--env", env] : ["history"], 0, ALICE);

  async function events(p: TestProject, releaseId: string): Promise<TandemEvent[]> {
    return (await p.inspect()).events(releaseId);
  }

  describe("refused before anything moves", () => {
    it("refuses a version whose requirement the live versions do not meet, naming the versions that would", async () => {
      const p = open(`project: shop
environments:
  staging: {}
services:
  api:
    target: { type: sim }
  web:
    target: { type: sim }
`);
      await deployed(p, ["api@1.0.0", "--env", "staging"]);
      for (const version of ["1.5.0", "2.1.0"]) await ok(p, ["registry", "publish", "api", version]);
      expect(await ok(p, ["registry", "publish", "web", "1.1.0", "--requires", "api=^2"])).toContain(
        "requires: api ^2",
      );

      const stderr = await refused(p, ["deploy", "web@1.1.0", "--env", "staging"]);
      expect(stderr).toContain("TANDEM_ERR_INVALID_REQUEST: the release would break version requirements");
      expect(stderr).toContain(
        "web@1.1.0 requires api ^2, but api@1.0.0 would be live in staging at the same time (api is not in this release); versions that satisfy it: api@2.1.0\n",
      );
      expect(stderr).toContain("hint: add api@2.1.0 to the release");
      // `plan` runs the same checks.
      expect(await refused(p, ["plan", "web@1.1.0", "--env", "staging"])).toContain(
        "web@1.1.0 requires api ^2, but api@1.0.0 would be live in staging",
      );

      // Nothing moved: only api's first release exists, web runs nowhere.
      const releases = await history(p);
      expect(releases.map((r) => r.rollouts.map((x) => `${x.service}@${x.version}`))).toEqual([
        ["api@1.0.0"],
      ]);
      const status = await p.cliJson<StatusJson>(["status"], 0, ALICE);
      expect(status.releases).toEqual([]);
      const web = status.where.find((entry) => entry.service === "web");
      expect(web?.stable).toBeUndefined();
      expect(web?.instances ?? []).toEqual([]);

      // With the version that satisfies it in the same release, api goes first and both go live.
      const release = await deployed(p, ["web@1.1.0", "api@2.1.0", "--env", "staging"]);
      expect(release.rollouts.map((r) => `${r.service}@${r.version}`)).toEqual(["api@2.1.0", "web@1.1.0"]);
      const web2 = release.rollouts.find((r) => r.service === "web");
      expect(web2?.needs).toEqual([{ service: "api" }]);
    });

    it("refuses a configuration whose dependsOn loops, naming the cycle and where it is written", async () => {
      const config = `project: shop
environments:
  staging: {}
services:
  api:
    target: { type: sim }
    dependsOn: [web]
  web:
    target: { type: sim }
    dependsOn: [api]
`;
      const p = open(config);
      const line = config.split("\n").indexOf("    dependsOn: [web]") + 1;
      const expected = `${p.configFile}:${line}:5: services.api.dependsOn: dependency cycle: api -> web -> api; the services could never start in order`;

      const validate = await refused(p, ["validate"]);
      expect(validate).toContain(`error TANDEM_ERR_CONFIG: ${expected}`);
      for (const args of [
        ["deploy", "api@1.0.0", "web@1.0.0", "--env", "staging"],
        ["deploy", "web@1.0.0"],
      ]) {
        expect(await refused(p, args)).toContain(expected);
      }
      // Nothing was started or recorded: no state directory at all...
      expect(existsSync(join(p.dir, ".tandem"))).toBe(false);
      // ...and once the cycle is broken the project has no release yet.
      writeFileSync(p.configFile, config.replace("    dependsOn: [web]\n", ""));
      await ok(p, ["validate"]);
      expect(await history(p)).toEqual([]);
    });

    it("refuses production before staging succeeded; promote then releases the same versions", async () => {
      const p = open(`project: shop
environments:
  staging: {}
  production:
    after: staging
services:
  api:
    target: { type: sim, unhealthyVersions: ["1.1.0"] }
  web:
    target: { type: sim }
`);
      const early = await refused(p, ["deploy", "api@1.0.0", "web@2.0.0", "--env", "production"]);
      expect(early).toContain(
        "TANDEM_ERR_INVALID_REQUEST: api@1.0.0 and web@2.0.0 have not succeeded in staging yet, and production only accepts versions that did (environments.production.after: staging)",
      );
      expect(early).toContain("tandem deploy api@1.0.0 web@2.0.0 --env staging");
      expect(await history(p)).toEqual([]);

      const staging = await deployed(p, ["api@1.0.0", "web@2.0.0", "--env", "staging"]);
      const promote = await p.cliJson<ReleaseState>(["promote", staging.id, "--to", "production"], 0, ALICE);
      expect(promote).toMatchObject({
        environment: "production",
        status: "succeeded",
        promotedFrom: staging.id,
      });
      expect(promote.id).not.toBe(staging.id);
      expect(promote.rollouts.map((r) => `${r.service}@${r.version}:${r.status}`).sort()).toEqual([
        "api@1.0.0:succeeded",
        "web@2.0.0:succeeded",
      ]);
      const where = (await p.cliJson<StatusJson>(["status", "--env", "production"], 0, ALICE)).where;
      expect(where.map((e) => `${e.service}@${e.stable?.version}`).sort()).toEqual([
        "api@1.0.0",
        "web@2.0.0",
      ]);

      // A version that failed in staging does not count, and its release cannot be promoted.
      const bad = await p.cliJson<ReleaseState>(["deploy", "api@1.1.0", "--env", "staging"], 1, ALICE);
      expect(bad.status).toBe("rolled_back");
      expect(await refused(p, ["deploy", "api@1.1.0", "--env", "production"])).toContain(
        "api@1.1.0 has not succeeded in staging yet",
      );
      expect(await refused(p, ["promote", bad.id, "--to", "production"])).toContain(
        `release ${bad.id} rolled back; only a succeeded release can be promoted`,
      );
      expect((await history(p, "production")).map((r) => r.id)).toEqual([promote.id]);
    });

    it("refuses a release during a change freeze, naming the window; --override-freeze records why", async () => {
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
      const until = now + 3_600_000;
      const p = open(`project: shop
environments:
  staging:
    freeze:
      - { name: quarter-close, reason: "books are closing", from: "${iso(now - 3_600_000)}", to: "${iso(until)}" }
  production:
    freeze:
      - { name: every-minute, schedule: "* * * * *", duration: 1m }
services:
  api:
    target: { type: sim }
`);
      const stderr = await refused(p, ["deploy", "api@1.0.0", "--env", "staging"]);
      expect(stderr).toContain(
        `TANDEM_ERR_INVALID_REQUEST: staging is in a change freeze: "quarter-close": books are closing; until ${iso(until)}`,
      );
      expect(stderr).toContain('--override-freeze "hotfix for INC-123"');
      // A recurring window (cron) refuses too, named with its schedule.
      expect(await refused(p, ["deploy", "api@1.0.0", "--env", "production"])).toContain(
        'production is in a change freeze: "every-minute" (* * * * * for 1m, UTC)',
      );
      // An empty reason is no reason.
      expect(
        await refused(p, ["deploy", "api@1.0.0", "--env", "staging", "--override-freeze", " "]),
      ).toContain("staging is in a change freeze");
      expect(await history(p)).toEqual([]);

      const result = await run(p, [
        "deploy",
        "api@1.0.0",
        "--env",
        "staging",
        "--override-freeze",
        "hotfix for INC-1",
      ]);
      expect(result.code, describeRun(["deploy"], result)).toBe(0);
      // The person running the deploy is told too, not only the audit trail.
      expect(result.stdout).toContain("alice overrode the change freeze");
      const [release] = await history(p, "staging");
      expect(release).toMatchObject({
        status: "succeeded",
        freezeOverride: { reason: "hotfix for INC-1", actor: "alice" },
      });
      const overridden = (await events(p, release!.id)).filter((e) => e.type === "release.freeze_overridden");
      expect(overridden).toHaveLength(1);
      expect(overridden[0]).toMatchObject({
        severity: "warning",
        data: { reason: "hotfix for INC-1", actor: "alice" },
      });
      expect(overridden[0]!.message).toBe(
        `alice overrode the change freeze ("quarter-close": books are closing; until ${iso(until)}): hotfix for INC-1`,
      );
    });
  });

  describe("approval gate", () => {
    const GATED = `project: shop
environments:
  staging: {}
  production:
    approval: { approvers: [alice, bob, carol], required: 2, allowSelfApproval: false, timeout: 10m }
services:
  api:
    target: { type: sim }
`;

    /** `tandem --json deploy api@1.0.0 --env production` as alice in the background, once it waits at the gate. */
    async function deployWaitingForApproval(p: TestProject) {
      // The deploy lives through every approve call of the test: its deadline is the test's, not one call's.
      const deploy = p.spawnCli(["--json", "deploy", "api@1.0.0", "--env", "production"], {
        ...ALICE,
        timeoutMs: 110_000,
      });
      const release = await waitFor(
        "the release to wait for approval",
        async () => {
          const [r] = await history(p, "production");
          return r?.status === "awaiting_approval" ? r : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      // The person running the deploy is told what it waits for and how to approve.
      await waitFor("deploy to say it waits for approval", () =>
        deploy
          .output()
          .stderr.includes("waits for approval: 0 of 2 approvals; waiting for bob or carol until"),
      ).catch((error: Error) => {
        throw new Error(`${error.message}\ndeploy's stderr so far:\n${deploy.output().stderr}`);
      });
      expect(deploy.output().stderr).toContain(`\`tandem approve ${release.id}\``);
      return { deploy, release };
    }

    it("needs two approvers other than the one who deployed; each decision is recorded with its comment", async () => {
      const p = open(GATED);
      const { deploy, release } = await deployWaitingForApproval(p);

      const self = await refused(p, ["approve", release.id, "-m", "my own change"], "alice");
      expect(self).toContain(
        "TANDEM_ERR_NOT_ALLOWED: approve refused: alice started this release and cannot approve it (allowSelfApproval: false)",
      );
      expect(await refused(p, ["approve", release.id], "mallory")).toContain(
        "mallory is not an approver here (approvers: alice, bob, carol)",
      );

      expect(await ok(p, ["approve", release.id, "-m", "looks good"], "bob")).toContain(
        `approval by bob recorded for release ${release.id}`,
      );
      await waitFor("bob's approval to be applied", async () =>
        (await events(p, release.id)).some((e) => e.type === "approval.granted"),
      );
      const halfway = (await history(p, "production"))[0]!;
      expect(halfway.status).toBe("awaiting_approval");
      expect(halfway.approval?.decisions.map((d) => `${d.actor}:${d.decision}:${d.comment}`)).toEqual([
        "bob:approve:looks good",
      ]);
      expect(halfway.rollouts.map((r) => r.status)).toEqual(["pending"]);
      const where = (await p.cliJson<StatusJson>(["status", "--env", "production"], 0, ALICE)).where;
      expect(where.flatMap((e) => e.instances)).toEqual([]);
      expect(await refused(p, ["approve", release.id], "bob")).toContain("bob already approved");

      await ok(p, ["approve", release.id, "-m", "ship it"], "carol");
      const result = await deploy.result;
      expect(result.code, describeRun(deploy.args, result)).toBe(0);
      const final = JSON.parse(result.stdout) as ReleaseState;
      expect(final).toMatchObject({ id: release.id, status: "succeeded", createdBy: "alice" });
      expect(final.approval).toMatchObject({ outcome: "approved", requestedBy: "alice" });

      const log = await events(p, release.id);
      const gate = log.filter((e) => e.type.startsWith("approval."));
      expect(gate.map((e) => e.type)).toEqual([
        "approval.requested",
        "approval.granted",
        "approval.granted",
        "approval.approved",
      ]);
      expect(gate[0]!.data).toMatchObject({ approvers: ["alice", "bob", "carol"], required: 2 });
      expect(gate[1]).toMatchObject({ data: { actor: "bob", comment: "looks good" } });
      expect(gate[1]!.message).toContain(
        "approved by bob: looks good (1 of 2 approvals (bob); waiting for carol until",
      );
      expect(gate[2]).toMatchObject({ data: { actor: "carol", comment: "ship it" } });
      expect(gate[2]!.message).toMatch(/approved by carol: ship it \(2 of 2 approvals \(bob, carol\)\)$/);
      expect(gate[3]!.message).toContain("approval complete (bob, carol)");
      // The refused attempts never reached the release.
      expect(log.filter((e) => e.type === "command.rejected")).toEqual([]);
      // Nothing started before the gate opened.
      const approvedAt = log.findIndex((e) => e.type === "approval.approved");
      const firstMove = log.findIndex((e) => e.type.startsWith("rollout."));
      expect(firstMove).toBeGreaterThan(approvedAt);
    }, 120_000);

    it("a rejection ends the release as aborted with who rejected it and why; nothing starts", async () => {
      const p = open(GATED);
      const { deploy, release } = await deployWaitingForApproval(p);

      expect(await ok(p, ["reject", release.id, "-m", "not during the sale"], "bob")).toContain(
        `rejection by bob recorded for release ${release.id}`,
      );
      const result = await deploy.result;
      expect(result.code, describeRun(deploy.args, result)).toBe(1);
      const final = JSON.parse(result.stdout) as ReleaseState;
      expect(final.status).toBe("aborted");
      expect(final.reason).toContain("rejected by bob: not during the sale");
      expect(final.rollouts.map((r) => `${r.status}:${r.skipped}`)).toEqual(["aborted:true"]);

      const log = await events(p, release.id);
      const rejected = log.filter((e) => e.type === "approval.rejected");
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ data: { actor: "bob", comment: "not during the sale" } });
      expect(rejected[0]!.message).toContain("rejected by bob: not during the sale");
      expect(log.some((e) => e.type.startsWith("rollout.") && e.type !== "rollout.skipped")).toBe(false);
      const where = (await p.cliJson<StatusJson>(["status", "--env", "production"], 0, ALICE)).where;
      expect(where.flatMap((e) => e.instances)).toEqual([]);
      expect(where.map((e) => e.stable)).toEqual([undefined]);

      expect(await refused(p, ["approve", release.id], "carol")).toContain(
        `release ${release.id} already ended (aborted)`,
      );
    }, 120_000);
  });
});
