import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { describeRun } from "./helpers/cli.js";
import { type StatusJson, TestProject } from "./helpers/project.js";

const TOKEN = "registry-token-5b1e9c";

/** The user's own deployment scripts: they keep their "infrastructure" in files of the scripts directory. */
const SCRIPTS: Record<string, string> = {
  "deploy.sh": `#!/bin/sh
echo "deploying api $1 (stable: $TANDEM_STABLE_VERSION)"
case "$1" in
  *.9) echo "pull failed with token $REGISTRY_TOKEN" ; echo "error: image registry.local/api:$1 not found" >&2 ; exit 1 ;;
esac
echo "$1" > "deployed-$1"
echo "api $1 is up"
`,
  "set-weight.sh": `#!/bin/sh
echo "$1 $2 $3" >> weights.log
`,
  "promote.sh": `#!/bin/sh
echo "$1 $2" >> promote.log
`,
  "rollback.sh": `#!/bin/sh
echo "$1 -> $2" >> rollback.log
`,
  "teardown.sh": `#!/bin/sh
echo "$1" >> teardown.log
rm -f "deployed-$1"
`,
  "status.sh": `#!/bin/sh
test -f "deployed-$1" || { echo "api $1 is not deployed"; exit 1; }
`,
};

const CONFIG = `project: shop
environments:
  staging: {}
services:
  api:
    target:
      type: command
      cwd: scripts
      deploy: [./deploy.sh, "\${version}"]
      setWeight: [./set-weight.sh, "\${version}", "\${weight}", "\${stableVersion}"]
      promote: [./promote.sh, "\${version}", "\${stableVersion}"]
      rollback: [./rollback.sh, "\${version}", "\${stableVersion}"]
      teardown: [./teardown.sh, "\${version}"]
      status: [./status.sh, "\${version}"]
      env: { REGISTRY_TOKEN: "\${secret:REGISTRY_TOKEN}" }
      timeout: 10s
      deployTimeout: 30s
    strategy:
      canary:
        steps: [{ setWeight: 20 }, { pause: 500ms }, { setWeight: 50 }, { pause: 500ms }]
`;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((name) => statSync(name).isFile());
}

function lines(file: string): string[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

describe("command target: a service deployed by the user's own scripts, through the CLI", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  async function deploy(p: TestProject, version: string, expectedCode: number): Promise<ReleaseState> {
    const args = ["--json", "deploy", `api@${version}`];
    const result = await p.cli(args, { timeoutMs: 90_000 });
    expect(result.code, describeRun(args, result)).toBe(expectedCode);
    return JSON.parse(result.stdout) as ReleaseState;
  }

  it("walks the canary through set-weight.sh and promotes; a failing deploy.sh rolls back to the good version", async () => {
    project = TestProject.withConfigText(CONFIG, { REGISTRY_TOKEN: TOKEN });
    const p = project;
    const scripts = join(p.dir, "scripts");
    mkdirSync(scripts);
    for (const [name, text] of Object.entries(SCRIPTS))
      writeFileSync(join(scripts, name), text, { mode: 0o755 });
    const file = (name: string) => join(scripts, name);

    const first = await deploy(p, "1.0.0", 0);
    expect(first.status).toBe("succeeded");
    expect(lines(file("promote.log"))).toEqual(["1.0.0"]);

    const second = await deploy(p, "2.0.0", 0);
    expect(second.status).toBe("succeeded");
    expect(lines(file("weights.log"))).toEqual([
      "1.0.0 100",
      "2.0.0 20 1.0.0",
      "2.0.0 50 1.0.0",
      "2.0.0 100 1.0.0",
    ]);
    expect(
      lines(file("promote.log")),
      "promote ran once per release, with the new and the old version",
    ).toEqual(["1.0.0", "2.0.0 1.0.0"]);
    expect(lines(file("teardown.log")), "the old version was torn down").toEqual(["1.0.0"]);
    expect(readFileSync(file("deployed-2.0.0"), "utf8").trim()).toBe("2.0.0");
    const events = await (await p.inspect()).events(second.id);
    const actions = events.filter((e) => e.type === "rollout.target_action").map((e) => e.data?.action);
    expect(actions).toEqual(expect.arrayContaining(["deploy", "status", "setWeight", "teardown", "promote"]));

    const broken = await deploy(p, "2.0.9", 1);
    expect(broken.status).toBe("rolled_back");
    const rollout = broken.rollouts[0]!;
    expect(rollout.status).toBe("rolled_back");
    expect(rollout.reason).toContain(
      "deploy.sh exited with 1: error: image registry.local/api:2.0.9 not found",
    );

    const failedDeploy = (await (await p.inspect()).events(broken.id)).find(
      (e) => e.type === "rollout.target_action" && e.data?.action === "deploy",
    );
    expect(failedDeploy?.severity).toBe("error");
    expect(failedDeploy?.data).toMatchObject({ action: "deploy", version: "2.0.9", ok: false });
    expect(failedDeploy?.message).toContain("deploy.sh exited with 1");
    const output = String(failedDeploy?.data?.output);
    expect(output).toContain("deploying api 2.0.9 (stable: 2.0.0)");
    expect(output).toContain("error: image registry.local/api:2.0.9 not found");
    expect(output, "the secret the script printed is redacted").toContain("pull failed with token ***");
    expect(JSON.stringify(await (await p.inspect()).events(broken.id))).not.toContain(TOKEN);
    // Nor in what Tandem writes to disk: the deploy's log (its output, masked) and state files.
    const written = filesUnder(join(p.dir, ".tandem", "command"));
    expect(written.some((name) => name.endsWith("2.0.9.log"))).toBe(true);
    for (const name of written) expect(readFileSync(name, "utf8"), name).not.toContain(TOKEN);
    expect(readFileSync(written.find((name) => name.endsWith("2.0.9.log"))!, "utf8")).toContain(
      "pull failed with token ***",
    );

    expect(lines(file("rollback.log")), "rollback.sh ran once, back to the good version").toEqual([
      "2.0.9 -> 2.0.0",
    ]);
    expect(lines(file("teardown.log"))).toEqual(["1.0.0", "2.0.9"]);
    expect(lines(file("weights.log")), "no traffic ever went to 2.0.9").toHaveLength(4);
    expect(lines(file("promote.log"))).toHaveLength(2);

    const status = await p.cliJson<StatusJson>(["status", broken.id]);
    expect(status.where[0]?.stable?.version).toBe("2.0.0");
    expect(status.where[0]?.instances.map((i) => i.version)).toEqual(["2.0.0"]);
    const text = await p.cli(["status", broken.id]);
    expect(text.stdout).toContain(
      "deploy 2.0.9: deploy.sh exited with 1: error: image registry.local/api:2.0.9 not found",
    );
  });
});
