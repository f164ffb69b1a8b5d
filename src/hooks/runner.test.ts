// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings hold the hooks' own ${name} placeholders, not templates
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MASK_ENV } from "../config/mask.js";
import { clearSecrets, registerSecret } from "../config/redact.js";
import { isProcessAlive, isProcessGroupAlive } from "../core/process-alive.js";
import type { HookHandle, HookSpec } from "../core/types.js";
import { readHookPids } from "./job.js";
import { ProcessHookRunner } from "./runner.js";
import type { HookPoll } from "./types.js";

const NODE = process.execPath;
const VARS = {
  version: "2.4.0",
  stableVersion: "2.3.1",
  environment: "staging",
  service: "api",
  release: "r-7",
};

let dir: string;
let runner: ProcessHookRunner;
const started: HookHandle[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tandem-hooks-"));
  runner = newRunner();
});

afterEach(async () => {
  clearSecrets();
  for (const handle of started.splice(0)) {
    await newRunner().cancel(handle);
    const pids = readHookPids(handle);
    for (const group of [pids?.command, pids?.daemon]) {
      if (group && group > 1 && isProcessGroupAlive(group)) process.kill(-group, "SIGKILL");
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function newRunner(): ProcessHookRunner {
  return new ProcessHookRunner({ stateDir: join(dir, "state"), baseDir: dir }, { killGraceMs: 500 });
}

function spec(command: string[], more: Partial<HookSpec> = {}): HookSpec {
  return { name: "hook", command, shell: false, timeout: 30_000, env: {}, ...more };
}

async function start(
  hook: HookSpec,
  options: {
    key?: string;
    env?: Record<string, string>;
    vars?: Record<string, string>;
    on?: ProcessHookRunner;
  } = {},
): Promise<HookHandle> {
  const handle = await (options.on ?? runner).start(
    { spec: hook, key: options.key ?? "r-7-api-hook", vars: options.vars ?? VARS, env: options.env ?? {} },
    AbortSignal.timeout(10_000),
  );
  started.push(handle);
  return handle;
}

async function until<T>(look: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await look();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await delay(25);
  }
}

async function exited(handle: HookHandle, on = runner): Promise<Extract<HookPoll, { state: "exited" }>> {
  return until(async () => {
    const poll = await on.poll(handle);
    if (poll.state === "lost") throw new Error(`hook lost: ${poll.output}`);
    return poll.state === "exited" ? poll : undefined;
  });
}

const commandPid = (handle: HookHandle) => until(() => readHookPids(handle)?.command ?? undefined);

describe("ProcessHookRunner", () => {
  it("runs the command with placeholders replaced, in its cwd, with spec and run env, and captures output", async () => {
    mkdirSync(join(dir, "api-work"));
    const script =
      "console.log(JSON.stringify({ args: process.argv.slice(1), cwd: process.cwd(), " +
      "spec: process.env.FROM_SPEC, shared: process.env.SHARED, release: process.env.TANDEM_RELEASE }));" +
      "console.error('to stderr')";
    const handle = await start(
      spec([NODE, "-e", script, "${version}", "${service}@${stableVersion}", "${environment}", "${nope}"], {
        cwd: "${service}-work",
        env: { FROM_SPEC: "spec", SHARED: "from spec" },
      }),
      { key: "r-7/api pre:migrate", env: { TANDEM_RELEASE: "r-7", SHARED: "from run" } },
    );
    expect(dirname(handle.resultFile)).toBe(join(dir, "state", "hooks"));
    const result = await exited(handle);
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
    const [json, stderr] = result.output.split("\n");
    expect(JSON.parse(json!)).toEqual({
      args: ["2.4.0", "api@2.3.1", "staging", "${nope}"],
      cwd: join(dir, "api-work"),
      spec: "spec",
      shared: "from run",
      release: "r-7",
    });
    expect(stderr).toBe("to stderr");
  });

  it("reports a failing exit code with the last 20 lines of output", async () => {
    const script = "for (let i = 1; i <= 30; i++) console.log('line ' + i); process.exit(3)";
    const result = await exited(await start(spec([NODE, "-e", script])));
    expect(result.exitCode).toBe(3);
    const lines = result.output.split("\n");
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe("line 11");
    expect(lines.at(-1)).toBe("line 30");
  });

  it("stops a hook at its timeout and leaves nothing of its process group", async () => {
    const began = Date.now();
    const handle = await start(spec([NODE, "-e", "setInterval(() => {}, 1000)"], { timeout: 300 }));
    const group = await commandPid(handle);
    const result = await exited(handle);
    expect(result).toMatchObject({ exitCode: null, signal: "SIGTERM", timedOut: true });
    expect(result.output).toContain("hook timed out after 300ms");
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(isProcessGroupAlive(group)).toBe(false);
  });

  it("sends SIGKILL when a timed-out hook ignores SIGTERM", async () => {
    const script =
      "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('ready'); setInterval(() => {}, 1000)";
    const handle = await start(spec([NODE, "-e", script], { timeout: 1_500 }));
    const result = await exited(handle);
    expect(result).toMatchObject({ exitCode: null, signal: "SIGKILL", timedOut: true });
    expect(result.output).toContain("ignoring SIGTERM");
    expect(result.output).toContain("sending SIGKILL");
  });

  it("passes arguments literally without a shell: no `;` or `$(...)` injection", async () => {
    const semicolon = join(dir, "semicolon-ran");
    const substitution = join(dir, "substitution-ran");
    const args = [`; touch ${semicolon}`, `$(touch ${substitution})`, "`id`", "${version}"];
    const handle = await start(
      spec([NODE, "-e", "console.log(JSON.stringify(process.argv.slice(1)))", ...args]),
      {
        vars: { ...VARS, version: "1.0; touch x" },
      },
    );
    const result = await exited(handle);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.output)).toEqual([...args.slice(0, 3), "1.0; touch x"]);
    expect(existsSync(semicolon)).toBe(false);
    expect(existsSync(substitution)).toBe(false);
  });

  it("runs a pipeline with shell: true, placeholder values never parsed as shell code", async () => {
    const marker = join(dir, "injected");
    const handle = await start(
      spec(['echo hello-${service} | tr a-z A-Z; echo "v=${version}"'], { shell: true }),
      {
        vars: { ...VARS, version: `1.0; touch ${marker}` },
      },
    );
    const result = await exited(handle);
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe(`HELLO-API\nv=1.0; touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
  });

  it("reports a command that is not installed with exit code null and a clear message", async () => {
    const result = await exited(await start(spec(["tandem-no-such-command-xyz", "--flag"])));
    expect(result).toMatchObject({ exitCode: null, signal: null, timedOut: false });
    expect(result.output).toContain("hook command not found: tandem-no-such-command-xyz");
  });

  it("reports a missing working directory by name", async () => {
    const result = await exited(await start(spec([NODE, "-e", ""], { cwd: "no-such-dir/${version}" })));
    expect(result.exitCode).toBeNull();
    expect(result.output).toContain(`hook working directory not found: ${join(dir, "no-such-dir", "2.4.0")}`);
  });

  it("never runs a hook twice: a restarted runner joins the running hook and finds its result", async () => {
    const runs = join(dir, "runs.txt");
    const go = join(dir, "go");
    const script =
      `require('fs').appendFileSync(${JSON.stringify(runs)}, 'run\\n');` +
      `const t = setInterval(() => { if (require('fs').existsSync(${JSON.stringify(go)})) { clearInterval(t); console.log('migrated'); } }, 20)`;
    const hook = spec([NODE, "-e", script]);
    const first = await start(hook);
    // The engine crashed before storing the handle: a new runner starts the same key again.
    const restarted = newRunner();
    const again = await start(hook, { on: restarted });
    expect(again).toEqual(first);
    expect(await restarted.poll(first)).toEqual({ state: "running" });
    writeFileSync(go, "");
    const result = await exited(first, restarted);
    expect(result).toMatchObject({ exitCode: 0, output: "migrated" });
    // And once more after it ended, from yet another runner: same handle, same result, no new run.
    const third = newRunner();
    expect(await start(hook, { on: third })).toEqual(first);
    expect(await third.poll(first)).toEqual(result);
    expect(readFileSync(runs, "utf8")).toBe("run\n");
  });

  it("cancel stops a running hook and everything it started, and is idempotent", async () => {
    const handle = await start(spec(["sleep 60 & sleep 60; echo never"], { shell: true }));
    const group = await commandPid(handle);
    await until(() => (isProcessGroupAlive(group) ? true : undefined));
    await runner.cancel(handle);
    expect(isProcessGroupAlive(group)).toBe(false);
    expect(isProcessAlive(handle.pid)).toBe(false);
    const result = await runner.poll(handle);
    expect(result).toMatchObject({ state: "exited", exitCode: null, signal: "SIGTERM", timedOut: false });
    expect(result.state === "exited" && result.output).toContain("hook cancelled");
    await expect(runner.cancel(handle)).resolves.toBeUndefined();
  });

  it("reports a hook whose daemon died as lost, and cancel still stops its command", async () => {
    const handle = await start(spec([NODE, "-e", "setInterval(() => {}, 1000)"]));
    const group = await commandPid(handle);
    process.kill(handle.pid, "SIGKILL");
    const lost = await until(async () => {
      const poll = await runner.poll(handle);
      return poll.state === "lost" ? poll : undefined;
    });
    expect(lost.state).toBe("lost");
    expect(isProcessGroupAlive(group)).toBe(true);
    await runner.cancel(handle);
    expect(isProcessGroupAlive(group)).toBe(false);
  });

  it("redacts registered secrets from the output", async () => {
    registerSecret("s3cr3t-token-value");
    const script = "console.log('token=' + process.env.TOKEN); console.log('done')";
    const result = await exited(
      await start(spec([NODE, "-e", script], { env: { TOKEN: "s3cr3t-token-value" } })),
    );
    expect(result.output).toBe("token=***\ndone");
  });
});

describe("ProcessHookRunner and secrets", () => {
  const SECRET = "hunter2-hook-secret-9931";

  it("keeps secrets out of the job file and every argv, and masks them in the log as it is written", async () => {
    registerSecret(SECRET);
    const release = join(dir, "release");
    // Prints the secret (whole, and cut in two writes), then runs until the test lets it go.
    const script =
      "const fs = require('node:fs'); const t = process.env.TOKEN;" +
      "console.log('token=' + t); process.stdout.write('half=' + t.slice(0, 9));" +
      "setTimeout(() => console.log(t.slice(9)), 30);" +
      "const deadline = Date.now() + 15000;" +
      "setInterval(() => { if (fs.existsSync(process.argv[1]) || Date.now() > deadline) process.exit(0); }, 20);";
    const handle = await start(spec([NODE, "-e", script, release], { env: { TOKEN: SECRET } }));
    const files = { job: handle.resultFile.replace(/\.result\.json$/, ".job.json"), log: handle.logFile };
    const command = await commandPid(handle);
    await until(() => (readFileSync(files.log, "utf8").includes("half=***") ? true : undefined));

    // While it runs: neither the daemon's nor the hook's command line holds the secret; its environment does.
    expect(readFileSync(`/proc/${handle.pid}/cmdline`, "utf8")).toContain(files.job);
    for (const pid of [handle.pid, command]) {
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8"), `argv of ${pid}`).not.toContain(SECRET);
    }
    const environ = readFileSync(`/proc/${command}/environ`, "utf8").split("\0");
    expect(environ).toContain(`TOKEN=${SECRET}`);
    expect(environ.some((entry) => entry.startsWith(`${MASK_ENV}=`))).toBe(false);
    expect(readFileSync(files.job, "utf8")).not.toContain(SECRET);

    writeFileSync(release, "");
    const result = await exited(handle);
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe("token=***\nhalf=***");
    const log = readFileSync(files.log, "utf8");
    expect(log).toBe("token=***\nhalf=***\n");
    for (const file of [files.job, handle.resultFile, files.log]) {
      expect(readFileSync(file, "utf8"), file).not.toContain("hunter2");
    }
  });
});
