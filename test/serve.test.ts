import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { CliProcess, type CliResult } from "./helpers/cli.js";
import { freePort } from "./helpers/ports.js";

/** `tandem serve` as a real process: tokens from the CLI, deploy and approve through `--server`. */

const CONFIG = `
project: shop
environments:
  staging: {}
  production: { after: staging, approval: { required: 1 } }
services:
  api:
    target: { type: sim, replicas: 1 }
    strategy: { rolling: {} }
`;

describe("tandem serve", () => {
  let dir: string;
  let server: CliProcess | undefined;

  afterEach(async () => {
    if (server?.running) {
      server.child.kill("SIGKILL");
      await server.result.catch(() => undefined);
    }
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    new CliProcess(args, { cwd: dir, env, timeoutMs: 60_000 }).result;

  it("serves the API to the CLI: a deployer deploys, an approver approves, the release finishes; SIGTERM stops it", async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-serve-"));
    writeFileSync(join(dir, "tandem.yaml"), CONFIG);
    const token = async (name: string, role: string) => {
      const result = await run(["--json", "token", "create", "--name", name, "--role", role]);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { token: string }).token;
    };
    const deployer = await token("ci", "deployer");
    const approver = await token("alice", "approver");
    const list = await run(["token", "list"]);
    expect(list.stdout).toContain("ci");
    expect(list.stdout).not.toContain(deployer);

    const port = await freePort();
    server = new CliProcess(["serve", "--port", String(port)], { cwd: dir, timeoutMs: 120_000 });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!server.output().stdout.includes("listening")) {
      if (Date.now() > deadline || !server.running)
        throw new Error(`serve did not start: ${server.output().stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const remote = { TANDEM_SERVER: url };

    const summary = join(dir, "step-summary.md");
    const staging = await run(["--json", "deploy", "api@1.0.0", "--env", "staging"], {
      ...remote,
      TANDEM_TOKEN: deployer,
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(staging.code, staging.stderr).toBe(0);
    const stagingRelease = JSON.parse(staging.stdout) as ReleaseState;
    expect(stagingRelease.status).toBe("succeeded");
    // A deploy followed through the server writes the same job summary as a local one.
    const summaryText = readFileSync(summary, "utf8");
    expect(summaryText).toContain(stagingRelease.id);
    expect(summaryText).toMatch(/api.*1\.0\.0/);

    const refused = await run(["deploy", "api@1.0.0"], { ...remote, TANDEM_TOKEN: approver });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("TANDEM_ERR_FORBIDDEN");
    const unknown = await run(["status"], { ...remote, TANDEM_TOKEN: "tdm_nope" });
    expect(unknown.stderr).toContain("TANDEM_ERR_UNAUTHENTICATED");

    // promote, through the server: it follows the new release, which waits for an approval.
    const production = new CliProcess(["--json", "promote", stagingRelease.id], {
      cwd: dir,
      env: { ...remote, TANDEM_TOKEN: deployer },
      timeoutMs: 60_000,
    });
    let waiting: ReleaseState | undefined;
    const until = Date.now() + 30_000;
    while (!waiting && Date.now() < until) {
      const response = await fetch(`${url}/api/v1/releases?active=true`, {
        headers: { authorization: `Bearer ${deployer}` },
      });
      waiting = ((await response.json()) as ReleaseState[]).find((r) => r.status === "awaiting_approval");
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(waiting?.createdBy).toBe("ci");
    const approved = await run(["approve", waiting!.id, "-m", "ship it"], {
      ...remote,
      TANDEM_TOKEN: approver,
    });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain("approval by alice");
    const finished = await production.result;
    expect(finished.code, finished.stderr).toBe(0);
    expect((JSON.parse(finished.stdout) as ReleaseState).status).toBe("succeeded");

    // rollback through the server: a newer staging version, then back to 1.0.0 as a release of its own.
    const newer = await run(["--json", "deploy", "api@1.1.0", "--env", "staging"], {
      ...remote,
      TANDEM_TOKEN: deployer,
    });
    expect(newer.code, newer.stderr).toBe(0);
    const back = await run(["--json", "rollback", "api", "--env", "staging", "--reason", "too slow"], {
      ...remote,
      TANDEM_TOKEN: deployer,
    });
    expect(back.code, back.stderr).toBe(0);
    const rolledBack = JSON.parse(back.stdout) as ReleaseState;
    expect(rolledBack.rollouts[0]).toMatchObject({ service: "api", version: "1.0.0", status: "succeeded" });

    // `tandem status` tells the same story through the server as next to the store (one client, two
    // transports): versions, instances and router in the "what runs where" lines.
    const whereOf = (text: string) => text.split("\n").filter((line) => /^ {2}\S+\s+api\s+stable/.test(line));
    const viaServer = await run(["status"], { ...remote, TANDEM_TOKEN: deployer });
    const nextToStore = await run(["status"]);
    expect(viaServer.code, viaServer.stderr).toBe(0);
    expect(whereOf(viaServer.stdout)).toHaveLength(2);
    expect(whereOf(viaServer.stdout)).toEqual(whereOf(nextToStore.stdout));
    expect(whereOf(viaServer.stdout).join("\n")).toMatch(
      /staging\s+api\s+stable 1\.0\.0\s+instances\s+1 \(1\.0\.0\)\s+router -/,
    );

    // The audit trail, delivery report and tokens, through the server too.
    const viewerOf = { ...remote, TANDEM_TOKEN: approver };
    const created = await run(["--json", "audit", "--action", "release.created", "--since", "1h"], viewerOf);
    expect(created.code, created.stderr).toBe(0);
    const createdEntries = JSON.parse(created.stdout) as Array<{
      actor: string;
      origin: string;
      reason?: string;
    }>;
    expect(createdEntries.map((e) => `${e.actor}/${e.origin}`)).toEqual(Array(4).fill("ci/api"));
    expect(createdEntries.at(-1)?.reason).toBe("too slow");
    const remoteVerify = await run(["audit", "verify"], viewerOf);
    expect(remoteVerify.code, remoteVerify.stderr).toBe(0);
    expect(remoteVerify.stdout).toMatch(/audit trail OK: \d+ entries/);
    const report = await run(["report", "--format", "json", "--environment", "staging"], viewerOf);
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(report.stdout))).toContain("staging");
    // The registry, a plan, the notifications and `down`, through the server.
    const asDeployer = { ...remote, TANDEM_TOKEN: deployer };
    const published = await run(
      ["registry", "publish", "api", "2.0.0", "--provides", "orders:2.0.0"],
      asDeployer,
    );
    expect(published.code, published.stderr).toBe(0);
    const versions = await run(["--json", "registry", "versions", "api"], viewerOf);
    expect((JSON.parse(versions.stdout) as Array<{ version: string; publishedBy: string }>)[0]).toMatchObject(
      {
        version: "2.0.0",
        publishedBy: "ci",
      },
    );
    const registry = await run(["--json", "registry", "--env", "staging"], viewerOf);
    expect(registry.stdout).toContain('"1.0.0"');
    const plan = await run(["--json", "plan", "api@2.0.0", "--env", "staging"], viewerOf);
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { services: Array<{ service: string }> }).services[0]?.service).toBe(
      "api",
    );
    const notifications = await run(["--json", "notifications"], viewerOf);
    expect(JSON.parse(notifications.stdout)).toEqual([]);
    const admin = await token("root", "admin");
    const down = await run(["--json", "down", "--env", "staging"], { ...remote, TANDEM_TOKEN: admin });
    expect(down.code, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ instances: 1 });

    const tokenList = await run(["token", "list"], { ...remote, TANDEM_TOKEN: deployer });
    expect(tokenList.code).toBe(2);
    expect(tokenList.stderr).toContain("TANDEM_ERR_FORBIDDEN");

    const metrics = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${approver}` } })
    ).text();
    expect(metrics).toContain('tandem_releases{status="succeeded"} 4');

    server.child.kill("SIGTERM");
    const stopped = await server.result;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain("stopped");
    const log = stopped.stdout + stopped.stderr;
    expect(log).not.toContain(deployer);
    expect(log).not.toContain(approver);

    // The audit trail: tokens made at the CLI, releases and the approval through the API as the tokens' actors.
    const audit = await run(["--json", "audit"]);
    expect(audit.code, audit.stderr).toBe(0);
    const entries = JSON.parse(audit.stdout) as Array<{
      action: string;
      actor: string;
      origin: string;
      reason?: string;
    }>;
    const seen = entries.map((e) => `${e.action} ${e.actor} ${e.origin}`);
    expect(seen.filter((e) => e.startsWith("token.created"))).toHaveLength(3);
    expect(seen).toContain("registry.version_published ci api");
    expect(seen).toContain("project.down root api");
    expect(seen.filter((e) => e.startsWith("token.created")).every((e) => e.endsWith(" cli"))).toBe(true);
    expect(seen.filter((e) => e === "release.created ci api")).toHaveLength(4);
    expect(entries.find((e) => e.action === "release.approve")).toMatchObject({
      actor: "alice",
      origin: "api",
      reason: "ship it",
    });
    expect(audit.stdout).not.toContain(deployer);
    const verify = await run(["audit", "verify"]);
    expect(verify.code, verify.stderr).toBe(0);
  }, 180_000);

  it("refuses a command that cannot go through a server before it touches anything", async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-serve-"));
    writeFileSync(join(dir, "tandem.yaml"), CONFIG);
    const refused = await run(["engine"], {
      TANDEM_SERVER: "http://127.0.0.1:9",
      TANDEM_TOKEN: "tdm_x",
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("`tandem engine` is not supported with --server yet");
    expect(refused.stderr).toContain("audit verify");
    expect(existsSync(join(dir, ".tandem")), "no local store was opened").toBe(false);
    // A command that reads only the local configuration runs here as without a server.
    const validate = await run(["validate"], { TANDEM_SERVER: "http://127.0.0.1:9" });
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain("valid");
  });
});
