import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";

const PASSWORD = "pa55-for-the-migration-7731";

/** A migration that records its argv and what it received, and a contract test that fails on web 2.x. */
const MIGRATE = `import { appendFileSync } from "node:fs";
appendFileSync("migrations.log", JSON.stringify({
  argv: process.argv.slice(2),
  services: process.env.TANDEM_SERVICES,
  environment: process.env.TANDEM_ENVIRONMENT,
  password: process.env.DB_PASSWORD,
}) + "\\n");
console.log("migrated with password " + process.env.DB_PASSWORD);
`;
const CONTRACT = `const [version] = process.argv.slice(2);
if (version.startsWith("2.")) {
  console.error("contract broken: GET /orders lost field total");
  process.exit(3);
}
console.log("contract ok for web " + version);
`;

const CONFIG = `project: shop
environments:
  staging: {}
rollbackPolicy: release
hooks:
  pre:
    - name: migrate
      command: [node, migrate.mjs, --release, "\${release}"]
      env: { DB_PASSWORD: "\${secret:DB_PASSWORD}" }
      timeout: 30s
services:
  api:
    target: { type: sim }
    strategy: { rolling: {} }
  web:
    target: { type: sim }
    dependsOn: [api]
    strategy: { rolling: {} }
    hooks:
      post:
        - { name: contract, command: [node, contract.mjs, "\${version}"], timeout: 30s }
  worker:
    target: { type: sim }
    strategy: { rolling: {} }
    hooks:
      pre:
        - { name: slow-check, command: "sleep 30", shell: true, timeout: 1s }
`;

const ENV = { TANDEM_USER: "ci", DB_PASSWORD: PASSWORD };

describe("hooks with real processes", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  async function deploy(p: TestProject, versions: string[], expectedCode: number): Promise<ReleaseState> {
    const args = ["--json", "deploy", ...versions];
    const result = await p.cli(args, { timeoutMs: 60_000 });
    expect(result.code, describeRun(args, result)).toBe(expectedCode);
    return JSON.parse(result.stdout) as ReleaseState;
  }

  it("runs the migration before anything moves, and a failing contract test backs the release out", async () => {
    project = TestProject.withConfigText(CONFIG, ENV);
    const p = project;
    writeFileSync(join(p.dir, "migrate.mjs"), MIGRATE);
    writeFileSync(join(p.dir, "contract.mjs"), CONTRACT);

    const first = await deploy(p, ["api@1.0.0", "web@1.0.0"], 0);
    expect(first.status).toBe("succeeded");
    const migrations = readFileSync(join(p.dir, "migrations.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(migrations).toEqual([
      {
        argv: ["--release", first.id],
        services: "api@1.0.0 web@1.0.0",
        environment: "staging",
        password: PASSWORD,
      },
    ]);
    const firstEvents = await (await p.inspect()).events(first.id);
    const order = firstEvents.map((e) => `${e.type}${e.service ? ` ${e.service}` : ""}`);
    expect(order.indexOf("hook.succeeded")).toBeLessThan(order.indexOf("rollout.started api"));
    expect(firstEvents.find((e) => e.type === "hook.succeeded" && e.service === "web")?.message).toBe(
      "web: hook contract succeeded: contract ok for web 1.0.0",
    );

    const second = await deploy(p, ["api@1.1.0", "web@2.0.0"], 1);
    expect(second.status).toBe("rolled_back");
    expect(second.rollouts.map((r) => [r.service, r.status])).toEqual([
      ["api", "rolled_back"],
      ["web", "rolled_back"],
    ]);
    expect(second.rollouts[1]!.reason).toBe(
      "web: hook contract exited with 3: contract broken: GET /orders lost field total",
    );
    const where = Object.fromEntries((await p.status()).where.map((w) => [w.service, w.stable?.version]));
    expect(where).toEqual({ api: "1.0.0", web: "1.0.0" });

    // The secret reached the migration, never the store, the events or the hook's files (job, log, result).
    const stateDir = join(p.dir, ".tandem");
    for (const name of readdirSync(stateDir).filter((n) => n.includes(".db"))) {
      expect(readFileSync(join(stateDir, name)).toString("latin1").includes(PASSWORD), name).toBe(false);
    }
    const hookFiles = readdirSync(join(stateDir, "hooks"));
    expect(hookFiles.filter((name) => name.endsWith(".job.json")).length).toBeGreaterThan(0);
    for (const name of hookFiles) {
      expect(readFileSync(join(stateDir, "hooks", name), "utf8"), name).not.toContain(PASSWORD);
    }
    const logs = hookFiles
      .filter((name) => name.endsWith(".log"))
      .map((name) => readFileSync(join(stateDir, "hooks", name), "utf8"));
    expect(logs, "the migration's log, masked").toContain("migrated with password ***\n");
    expect(JSON.stringify(firstEvents)).not.toContain(PASSWORD);
  });

  it("kills a hook that outlives its timeout, and the service does not move", async () => {
    project = TestProject.withConfigText(CONFIG, ENV);
    const p = project;
    writeFileSync(join(p.dir, "migrate.mjs"), MIGRATE);
    const release = await deploy(p, ["worker@1.0.0"], 1);
    expect(release.rollouts[0]).toMatchObject({ service: "worker", status: "rolled_back" });
    expect(release.rollouts[0]!.reason).toMatch(/^worker: hook slow-check timed out after 1s/);
    expect(existsSync(join(p.dir, "migrations.log"))).toBe(true);
    expect((await p.status()).where.find((w) => w.service === "worker")?.stable).toBeUndefined();
  });
});
