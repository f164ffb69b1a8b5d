import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearSecrets, registerSecret } from "../config/redact.js";
import { isProcessAlive } from "../core/process-alive.js";
import { type CommandSpec, commandArgv, envName, outputTail, runCommand } from "./command-runner.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tandem-cmd-runner-"));
});
afterEach(() => {
  clearSecrets();
  rmSync(dir, { recursive: true, force: true });
});

function spec(overrides: Partial<CommandSpec>): CommandSpec {
  return {
    action: "deploy",
    command: ["true"],
    shell: false,
    vars: {},
    env: {},
    cwd: dir,
    timeoutMs: 10_000,
    ...overrides,
  };
}

/** A node script printing its argv as JSON. */
function argvScript(): string {
  const file = join(dir, "argv.mjs");
  writeFileSync(file, "console.log(JSON.stringify(process.argv.slice(2)));\n");
  return file;
}

describe("runCommand without a shell", () => {
  it("passes a placeholder value full of shell syntax as one argument, and runs nothing of it", async () => {
    const evil = "1.0; touch pwned; $(touch pwned2) `touch pwned3`";
    const result = await runCommand(
      spec({
        command: [process.execPath, argvScript(), "--version=${version}", "${environment}", "${unknown}"],
        vars: { version: evil, environment: "prod" },
      }),
    );
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.output)).toEqual([`--version=${evil}`, "prod", "${unknown}"]);
    for (const name of ["pwned", "pwned2", "pwned3"]) expect(existsSync(join(dir, name))).toBe(false);
  });

  it("reports the exit code with the last line printed, and the output tail", async () => {
    const script = join(dir, "deploy.sh");
    writeFileSync(script, "#!/bin/sh\necho pulling image\necho 'error: image not found' >&2\nexit 3\n", {
      mode: 0o755,
    });
    const result = await runCommand(spec({ command: [script] }));
    expect(result).toMatchObject({ ok: false, code: 3, timedOut: false });
    expect(result.message).toBe("deploy.sh exited with 3: error: image not found");
    expect(result.output).toBe("pulling image\nerror: image not found");
  });

  it("sets TANDEM_* variables for every placeholder and the configured env", async () => {
    const result = await runCommand(
      spec({
        command: ["/bin/sh", "-c", 'echo "$TANDEM_VERSION $TANDEM_STABLE_VERSION $TANDEM_WEIGHT $REGION"'],
        vars: { version: "2.0.0", stableVersion: "1.0.0", weight: "20" },
        env: { REGION: "eu" },
      }),
    );
    expect(result.output).toBe("2.0.0 1.0.0 20 eu");
    expect(envName("stableVersion")).toBe("TANDEM_STABLE_VERSION");
  });

  it("a program that does not exist is a failed result naming it, not an exception", async () => {
    const result = await runCommand(spec({ command: ["./no-such-deploy.sh"] }));
    expect(result.ok).toBe(false);
    expect(result.code).toBeNull();
    expect(result.message).toMatch(/^no-such-deploy\.sh could not start: .*ENOENT/);
  });
});

describe("runCommand with shell: true", () => {
  it("turns placeholders into environment variable references, so a value is never shell code", async () => {
    const evil = "1.0; touch pwned";
    const argv = commandArgv({
      action: "deploy",
      command: ["./deploy.sh ${version} > out.txt"],
      shell: true,
      vars: { version: evil },
    });
    expect(argv).toEqual(["/bin/sh", "-c", "./deploy.sh ${TANDEM_VERSION} > out.txt", "deploy"]);
    const result = await runCommand(
      spec({
        command: ['printf "%s|" ${version} "${version}" > out.txt; echo done'],
        shell: true,
        vars: { version: evil },
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.output).toBe("done");
    // Unquoted, the value is split into words by the shell, but never run.
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe(`1.0;|touch|pwned|${evil}|`);
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });
});

describe("runCommand limits", () => {
  it("kills the command's whole process group when it times out", async () => {
    let pid = 0;
    const started = Date.now();
    const result = await runCommand(
      spec({
        command: ["sleep 30 & echo $! > child.pid; wait"],
        shell: true,
        timeoutMs: 300,
        onSpawn: (p) => {
          pid = p;
        },
      }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ ok: false, timedOut: true });
    expect(result.message).toBe("sleep timed out after 300ms");
    const child = Number(readFileSync(join(dir, "child.pid"), "utf8"));
    const deadline = Date.now() + 5_000;
    while ((isProcessAlive(child) || isProcessAlive(pid)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(isProcessAlive(child), "the background sleep was killed with its group").toBe(false);
  });

  it("uses SIGKILL after the grace period when SIGTERM is ignored", async () => {
    const result = await runCommand(
      spec({
        command: ["trap '' TERM; echo ready; sleep 30; sleep 30"],
        shell: true,
        timeoutMs: 300,
        killGraceMs: 200,
      }),
    );
    expect(result).toMatchObject({ ok: false, timedOut: true, signal: "SIGKILL" });
  });

  it("is cancelled by its signal", async () => {
    const controller = new AbortController();
    const running = runCommand(spec({ command: ["sleep", "30"], timeoutMs: 60_000 }), controller.signal);
    setTimeout(() => controller.abort(), 100);
    const result = await running;
    expect(result.ok).toBe(false);
    expect(result.message).toBe("sleep was cancelled");
  });

  it("keeps only the end of a large output, with secrets redacted", async () => {
    registerSecret("hunter2-secret-token");
    const result = await runCommand(
      spec({
        command: [
          process.execPath,
          "-e",
          "for (let i = 0; i < 100000; i++) console.log('line ' + i); console.log('token=' + process.env.TOKEN);",
        ],
        env: { TOKEN: "hunter2-secret-token" },
      }),
    );
    expect(result.ok).toBe(true);
    const lines = result.output.split("\n");
    expect(lines).toHaveLength(20);
    expect(lines.at(-2)).toBe("line 99999");
    expect(lines.at(-1)).toBe("token=***");
    expect(result.output).not.toContain("hunter2");
    expect(outputTail(`${"x".repeat(5_000)}\nlast`)).toBe("last");
  });
});

describe("runCommand and secrets", () => {
  const SECRET = "hunter2-secret-token";

  it("masks known secrets in the log file, also when a write cuts one in two", async () => {
    registerSecret(SECRET);
    const logFile = join(dir, "deploy.log");
    const script =
      "const t = process.env.TOKEN; process.stdout.write('a=' + t.slice(0, 7));" +
      "setTimeout(() => { process.stdout.write(t.slice(7) + '\\n'); console.error('b=' + t); }, 50);";
    const result = await runCommand(
      spec({ command: [process.execPath, "-e", script], env: { TOKEN: SECRET }, logFile }),
    );
    expect(result.ok).toBe(true);
    const log = readFileSync(logFile, "utf8");
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain("hunter2");
    expect(log).toContain("a=***\n");
    expect(log).toContain("b=***\n");
  });

  it("does not start a command whose argv holds a known secret", async () => {
    registerSecret(SECRET);
    const marker = join(dir, "ran");
    const result = await runCommand(spec({ command: ["touch", marker, `--token=${SECRET}`] }));
    expect(result.ok).toBe(false);
    expect(result.message).toContain("a secret value is part of its command line");
    expect(result.message).not.toContain(SECRET);
    expect(existsSync(marker)).toBe(false);
  });
});
