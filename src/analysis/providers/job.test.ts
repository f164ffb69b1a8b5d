// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings hold the job provider's own ${name} placeholders, not templates
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JobProvider } from "./job.js";
import { measureContext } from "./test-helpers.js";

const NODE = process.execPath;
const dir = mkdtempSync(join(tmpdir(), "tandem-job-provider-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Whether pid is a live process (a zombie, killed but not yet reaped, is not). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !["Z", "X"].includes(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
}

function node(script: string, ...args: string[]): string[] {
  return [NODE, "-e", script, ...args];
}

describe("JobProvider with real child processes", () => {
  it("takes the number on the last line of stdout, with placeholders in argv", async () => {
    const provider = new JobProvider({
      type: "job",
      command: node(
        "console.log('checking', process.argv[1], process.argv[2]); console.log(process.argv[1] === '2.0.0' ? '0.042' : '-1')",
        "${canaryVersion}",
        "${window}",
      ),
    });
    const context = measureContext();
    expect(await provider.measure(context)).toEqual({ at: context.now, value: 0.042 });
  });

  it("takes the exit status when the last line is not a number", async () => {
    const ok = new JobProvider({ type: "job", command: node("console.log('all good')") });
    expect((await ok.measure(measureContext())).value).toBe(0);
    const failing = new JobProvider({
      type: "job",
      command: node("console.log('3 errors'); process.exit(3)"),
    });
    expect((await failing.measure(measureContext())).value).toBe(3);
    const printedThenFailed = new JobProvider({
      type: "job",
      command: node("console.log(12); process.exit(1)"),
    });
    expect((await printedThenFailed.measure(measureContext())).value).toBe(12);
  });

  it("passes the context as TANDEM_* variables and the configured env, in cwd", async () => {
    const provider = new JobProvider({
      type: "job",
      command: node(
        "const e = process.env; console.log(e.TANDEM_SERVICE === 'api' && e.TANDEM_BASELINE_VERSION === '1.0.0' && e.EXTRA === 'x' && process.cwd() === process.argv[1] ? 1 : 0)",
        dir,
      ),
      env: { EXTRA: "x" },
      cwd: dir,
    });
    expect((await provider.measure(measureContext())).value).toBe(1);
  });

  it("keeps an argument with shell syntax literal: no shell, no injection", async () => {
    const marker = join(dir, "injected");
    const provider = new JobProvider({
      type: "job",
      command: node(
        "console.log(process.argv[1].length)",
        `$(touch ${marker}); \`touch ${marker}\` ; touch ${marker}`,
      ),
    });
    const measurement = await provider.measure(measureContext({ canaryVersion: `$(touch ${marker})` }));
    expect(measurement.error).toBeUndefined();
    expect(existsSync(marker)).toBe(false);

    const version = new JobProvider({
      type: "job",
      command: node("console.log(process.argv[1].length)", "${canaryVersion}"),
    });
    const evil = `$(touch ${marker})`;
    expect((await version.measure(measureContext({ canaryVersion: evil }))).value).toBe(evil.length);
    expect(existsSync(marker)).toBe(false);
  });

  it("with shell: true, runs sh -c and lets the shell expand placeholders as variables", async () => {
    const marker = join(dir, "shell-injected");
    const provider = new JobProvider({
      type: "job",
      shell: true,
      command: 'v="${canaryVersion}"; echo "version $v"; echo ${#v}',
    });
    const evil = `$(touch ${marker})`;
    expect((await provider.measure(measureContext({ canaryVersion: evil }))).value).toBe(evil.length);
    expect(existsSync(marker)).toBe(false);
  });

  it("kills the command (and its children) at the timeout", async () => {
    const pidFile = join(dir, "sleep.pid");
    const script = `sleep 30 & echo $! > ${pidFile}; wait; echo 1`;
    const provider = new JobProvider({ type: "job", shell: true, command: script, timeout: 300 });
    const startedAt = Date.now();
    const measurement = await provider.measure(measureContext());
    expect(measurement.error).toBe(`job sh -c ${JSON.stringify(script)}: timed out after 300ms`);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    const sleepPid = Number(readFileSync(pidFile, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isRunning(sleepPid)).toBe(false); // the shell's child went with it
  });

  it("returns at the timeout even when a process that left the group holds its output", async () => {
    const pidFile = join(dir, "straggler.pid");
    const provider = new JobProvider({
      type: "job",
      shell: true,
      command: `setsid sleep 30 & echo $! > ${pidFile}; echo 5`,
      timeout: 300,
    });
    const startedAt = Date.now();
    try {
      const measurement = await provider.measure(measureContext());
      expect(measurement.error).toMatch(/timed out after 300ms$/);
      expect(Date.now() - startedAt).toBeLessThan(5000);
    } finally {
      process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
    }
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const provider = new JobProvider({ type: "job", command: node("setTimeout(() => {}, 30000)") });
    const measurement = await provider.measure(measureContext({ signal: controller.signal }));
    expect(measurement.error).toMatch(/: aborted$/);
  });

  it("reports a command that does not exist or dies of a signal", async () => {
    const missing = new JobProvider({ type: "job", command: ["/nonexistent/tandem-metric"] });
    expect((await missing.measure(measureContext())).error).toBe(
      "job /nonexistent/tandem-metric: command not found (ENOENT)",
    );
    const killed = new JobProvider({
      type: "job",
      command: node("console.error('crashing'); process.kill(process.pid, 'SIGTERM')"),
    });
    expect((await killed.measure(measureContext())).error).toMatch(/killed by SIGTERM: crashing$/);
  });

  it("reports {baselineVersion} without a stable version, and rejects bad configurations", async () => {
    const provider = new JobProvider({ type: "job", command: ["echo", "${baselineVersion}"] });
    expect((await provider.measure(measureContext({ baselineVersion: undefined }))).error).toMatch(
      /no stable version/,
    );
    expect(() => new JobProvider({ type: "job", command: "echo 1" })).toThrow(/argv list/);
    expect(() => new JobProvider({ type: "job", command: [] })).toThrow(/empty/);
    expect(() => new JobProvider({ type: "job", command: ["echo", "${version}"] })).toThrow(
      /unknown placeholder/,
    );
  });
});
