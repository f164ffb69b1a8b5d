import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { CommandTargetConfig } from "../core/config.js";
import { type Endpoint, silentLogger } from "../core/types.js";
import type { ProbeResult } from "../probes/types.js";
import { SqliteStore } from "../store/sqlite.js";
import { CommandTarget } from "./command.js";
import { deployFiles, writeDeployState } from "./command-state.js";

let dir: string;
let store: SqliteStore;
const clock = new ManualClock();
const signal = new AbortController().signal;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "tandem-command-target-"));
  store = new SqliteStore(join(dir, "tandem.db"));
  await store.migrate();
  // deploy.sh waits until the test writes go-<version>; it fails for versions ending in .9.
  script(
    "deploy.sh",
    `while [ ! -f "go-$1" ]; do sleep 0.02; done
echo "deploying $1"
case "$1" in *.9) echo "error: no image for $1" >&2; exit 1;; esac
echo "$1" > "deployed-$1"`,
  );
  script("status.sh", `test -f "deployed-$1" || { echo "$1 not deployed"; exit 1; }`);
  script("teardown.sh", `echo "$1" >> teardown.log; rm -f "deployed-$1"`);
  script("set-weight.sh", `echo "$1 $2 $3" >> weights.log`);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

function config(overrides: Partial<CommandTargetConfig> = {}): CommandTargetConfig {
  return {
    type: "command",
    deploy: ["./deploy.sh", "${version}"],
    status: ["./status.sh", "${version}"],
    teardown: ["./teardown.sh", "${version}"],
    setWeight: ["./set-weight.sh", "${version}", "${weight}", "${stableVersion}"],
    shell: false,
    env: {},
    deployTimeout: 30_000,
    timeout: 10_000,
    replicas: 1,
    ...overrides,
  };
}

function target(overrides: Partial<CommandTargetConfig> = {}): CommandTarget {
  return new CommandTarget(config(overrides), {
    project: "shop",
    environment: "staging",
    service: "api",
    stateDir: join(dir, ".tandem"),
    baseDir: dir,
    store,
    clock,
    log: silentLogger,
  });
}

/** Checks until the result is no longer pending (bounded). */
async function settled(t: CommandTarget, endpoint: Endpoint): Promise<ProbeResult> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await t.check(endpoint, signal);
    if (!result.pending || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("CommandTarget", () => {
  it("starts deploy in the background: pending until it ends, then healthy through status; adopted after a restart", async () => {
    const t = target();
    const [endpoint, ...more] = await t.start("1.0.0", 3, signal);
    expect(more).toEqual([]);
    expect(endpoint).toMatchObject({
      id: "command-staging-api-1.0.0",
      version: "1.0.0",
      host: "127.0.0.1",
      port: 0,
    });
    expect(await t.check(endpoint!, signal)).toMatchObject({ ok: false, pending: true });
    expect(await t.start("1.0.0", 1, signal), "one deployment per version").toEqual([]);

    writeFileSync(join(dir, "go-1.0.0"), "");
    expect(await settled(t, endpoint!)).toMatchObject({ ok: true, message: "status.sh exited with 0" });
    expect(t.takeActions().map((a) => [a.action, a.version, a.ok])).toEqual([
      ["deploy", "1.0.0", true],
      ["status", "1.0.0", true],
    ]);
    // A repeated healthy status is not reported again.
    await t.check(endpoint!, signal);
    expect(t.takeActions()).toEqual([]);

    const restarted = target();
    expect(await restarted.list("1.0.0")).toEqual([endpoint]);
    expect(await restarted.check(endpoint!, signal)).toMatchObject({ ok: true });
    rmSync(join(dir, "deployed-1.0.0"));
    expect(await restarted.check(endpoint!, signal)).toMatchObject({
      ok: false,
      message: "status.sh exited with 1: 1.0.0 not deployed",
    });
  });

  it("a failed deploy fails the check with its exit code and last line, and is recorded with its output", async () => {
    const t = target();
    writeFileSync(join(dir, "go-2.0.9"), "");
    const [endpoint] = await t.start("2.0.9", 1, signal);
    const result = await settled(t, endpoint!);
    expect(result).toMatchObject({
      ok: false,
      message: "deploy.sh exited with 1: error: no image for 2.0.9",
    });
    expect(result.pending).toBeUndefined();
    const [action] = t.takeActions();
    expect(action).toMatchObject({ action: "deploy", version: "2.0.9", ok: false });
    expect(action!.output).toBe("deploying 2.0.9\nerror: no image for 2.0.9");
    expect(readFileSync(deployFiles(join(dir, ".tandem"), "staging", "api", "2.0.9").log, "utf8")).toContain(
      "error: no image for 2.0.9",
    );
  });

  it("runs deploy again when the engine that ran it died before it ended", async () => {
    const t = target();
    const files = deployFiles(join(dir, ".tandem"), "staging", "api", "1.0.0");
    const endpoint: Endpoint = {
      id: "command-staging-api-1.0.0",
      version: "1.0.0",
      host: "127.0.0.1",
      port: 0,
      startedAt: 0,
    };
    await store.putInstance({
      ...endpoint,
      project: "shop",
      environment: "staging",
      service: "api",
      logFile: files.log,
    });
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    writeDeployState(files, { phase: "deploying", startedAt: 0, pid: 4_194_305 });
    writeFileSync(join(dir, "go-1.0.0"), "");
    expect((await t.check(endpoint, signal)).message).toMatch(/started again/);
    expect(await settled(t, endpoint)).toMatchObject({ ok: true });
    expect(existsSync(join(dir, "deployed-1.0.0"))).toBe(true);
  });

  it("stop aborts a running deploy, runs teardown and forgets the deployment", async () => {
    const t = target();
    const [endpoint] = await t.start("3.0.0", 1, signal);
    await t.stop([endpoint!], signal);
    expect(await t.list()).toEqual([]);
    expect(readFileSync(join(dir, "teardown.log"), "utf8")).toBe("3.0.0\n");
    expect(t.takeActions().map((a) => [a.action, a.ok, a.message])).toEqual([
      ["deploy", false, "deploy.sh was cancelled"],
      ["teardown", true, "teardown.sh exited with 0"],
    ]);
  });

  it("setWeights gives the new version's percent and the stable version; a failure throws with the output", async () => {
    Object.assign(store, { getStable: async () => ({ version: "1.0.0" }) });
    const t = target();
    await t.setWeights({ "1.0.0": 80, "2.0.0": 20 }, signal);
    await t.setWeights({ "2.0.0": 100, "1.0.0": 0 }, signal);
    expect(readFileSync(join(dir, "weights.log"), "utf8")).toBe("2.0.0 20 1.0.0\n2.0.0 100 1.0.0\n");
    script("set-weight.sh", `echo "lb refused $2" >&2; exit 2`);
    await expect(t.setWeights({ "1.0.0": 50, "2.0.0": 50 }, signal)).rejects.toThrow(
      "setWeight of api@2.0.0: set-weight.sh exited with 2: lb refused 50",
    );
  });

  it("with shell: true runs one string through /bin/sh with the placeholders as variables", async () => {
    const t = target({
      deploy: ['echo "deploying ${version} for $TANDEM_ENVIRONMENT" > shell-deploy.txt'],
      status: undefined,
      shell: true,
    });
    const [endpoint] = await t.start("1.0; touch pwned", 1, signal);
    expect(await settled(t, endpoint!)).toMatchObject({
      ok: true,
      message: "echo 1.0; touch pwned succeeded",
    });
    expect(readFileSync(join(dir, "shell-deploy.txt"), "utf8")).toBe(
      "deploying 1.0; touch pwned for staging\n",
    );
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });
});
