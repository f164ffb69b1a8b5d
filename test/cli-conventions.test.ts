import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { CliProcess, type CliResult, describeRun } from "./helpers/cli.js";
import { CLI_ENTRY } from "./helpers/paths.js";
import { freePort } from "./helpers/ports.js";
import { waitFor } from "./helpers/wait.js";

/** Conventions of the compiled CLI: --version, JSON errors, a closed stdout, completion, status --watch. */

const CONFIG = `project: shop
environments:
  staging: {}
  production: { after: staging, approval: { required: 1 } }
services:
  api:
    target: { type: sim, replicas: 2, unhealthyVersions: ["6.6.6"] }
    strategy: { rolling: {} }
`;

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

describe("CLI conventions", () => {
  let dir: string;
  const started: CliProcess[] = [];

  afterEach(async () => {
    for (const process of started.splice(0)) {
      if (process.running) process.child.kill("SIGKILL");
      await process.result.catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const project = () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-conventions-"));
    writeFileSync(join(dir, "tandem.yaml"), CONFIG);
  };
  const spawnCli = (args: string[], env: Record<string, string> = {}) => {
    const child = new CliProcess(args, { cwd: dir, env, timeoutMs: 60_000 });
    started.push(child);
    return child;
  };
  const run = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    spawnCli(args, env).result;

  it("--version and -V print the package's version", async () => {
    project();
    for (const flag of ["--version", "-V"]) {
      const result = await run([flag]);
      expect(result.code, describeRun([flag], result)).toBe(0);
      expect(result.stdout).toBe(`${PACKAGE_VERSION}\n`);
    }
  });

  it("under --json an error is one JSON document on stdout, the exit codes unchanged", async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-conventions-"));
    const missing = await run(["--json", "status"]);
    expect(missing.code, describeRun(["status"], missing)).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({
      error: {
        code: "TANDEM_ERR_CONFIG_NOT_FOUND",
        message: `no configuration at ${join(dir, "tandem.yaml")}`,
        hint: "run `tandem init` to write one, or pass --config FILE",
      },
    });
    expect(missing.stderr).toContain("error TANDEM_ERR_CONFIG_NOT_FOUND");

    const usage = await run(["deploy", "--json"]);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({
      error: { code: "TANDEM_ERR_INVALID_REQUEST", message: "missing required argument 'services'" },
    });

    const text = await run(["status"]);
    expect(text.code).toBe(2);
    expect(text.stdout).toBe("");
  });

  it("a closed stdout ends the command quietly: `tandem schema | head -1`", () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-conventions-"));
    // The schema is far larger than a pipe's buffer, so head exits while tandem still writes.
    const result = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" "${CLI_ENTRY}" schema 2>"${dir}/err" | head -1; echo "\${PIPESTATUS[0]}"`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(result.stdout).toBe("{\n0\n");
    expect(readFileSync(join(dir, "err"), "utf8")).toBe("");
  });

  it("bash completion, from the command tree, completes every command, subcommands and options", async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-conventions-"));
    const script = await run(["completion", "bash"]);
    expect(script.code, describeRun(["completion", "bash"], script)).toBe(0);
    writeFileSync(join(dir, "tandem.bash"), script.stdout);
    /** What bash's completion function offers for the words typed (the last one being completed). */
    const complete = (...words: string[]) => {
      const array = ["tandem", ...words].map((w) => `'${w}'`).join(" ");
      const result = spawnSync(
        "bash",
        [
          "-c",
          `source "${dir}/tandem.bash"; COMP_WORDS=(${array}); COMP_CWORD=${words.length}; _tandem_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: "utf8", timeout: 30_000 },
      );
      expect(result.stderr).toBe("");
      return result.stdout.split("\n").filter(Boolean);
    };
    /** The command names a --help page lists. */
    const helpCommands = async (...path: string[]) => {
      const help = await run([...path, "--help"]);
      const section = help.stdout.split("Commands:\n")[1] ?? "";
      return section
        .split("\n")
        .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
        .filter((name): name is string => Boolean(name));
    };

    const commands = await helpCommands();
    expect(commands).toContain("status");
    expect(commands).toContain("completion");
    expect(complete("").filter((w) => !w.startsWith("-"))).toEqual(commands);
    // The commands with subcommands (each other command's --help lists none; checking them all is slow).
    for (const parent of ["registry", "notifications", "token", "audit"]) {
      const children = await helpCommands(parent);
      expect(
        complete(parent, "").filter((w) => !w.startsWith("-")),
        parent,
      ).toEqual(children);
    }
    expect(complete("reg")).toEqual(["registry"]);
    expect(complete("registry", "pub")).toEqual(["publish"]);
    expect(complete("status", "--w")).toEqual(["--watch"]);
    // The value of an option is not taken for a command: `-e registry` is an environment.
    expect(complete("-c", "x.yaml", "status", "-e", "registry", "--w")).toEqual(["--watch"]);
  });

  it("status --watch follows a release driven elsewhere to its end and exits with its code", async () => {
    project();
    const created = async (version: string) => {
      const result = await run(["--json", "deploy", `api@${version}`, "--env", "staging", "--no-wait"]);
      expect(result.code, describeRun(["deploy"], result)).toBe(0);
      return (JSON.parse(result.stdout) as ReleaseState).id;
    };
    const watchToEnd = async (id: string) => {
      const watch = spawnCli(["--json", "status", id, "--watch"]);
      // It has seen the release unfinished (nobody drives it yet) before the engine starts.
      await waitFor("the watch to see the release waiting", () =>
        watch.output().stderr.includes(`no engine is driving release ${id}`),
      );
      const engine = await run(["engine"]);
      expect(engine.code === 0 || engine.code === 1, describeRun(["engine"], engine)).toBe(true);
      const result = await watch.result;
      return { result, release: JSON.parse(result.stdout) as ReleaseState };
    };

    const good = await watchToEnd(await created("1.0.0"));
    expect(good.result.code, describeRun(["status", "--watch"], good.result)).toBe(0);
    expect(good.release.status).toBe("succeeded");

    const bad = await watchToEnd(await created("6.6.6"));
    expect(bad.result.code, describeRun(["status", "--watch"], bad.result)).toBe(1);
    expect(bad.release.status).toBe("rolled_back");

    // A finished release: its summary at once, with the instances as they stand at its end.
    const done = await run(["status", good.release.id, "--watch"]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/succeeded\s+2\/2 new ready/);
  });

  it("status --watch --server follows a release through the API", async () => {
    project();
    const token = async (name: string, role: string) => {
      const result = await run(["--json", "token", "create", "--name", name, "--role", role]);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { token: string }).token;
    };
    const admin = await token("ops", "admin");
    const approver = await token("alice", "approver");
    const port = await freePort();
    const server = spawnCli(["serve", "--port", String(port)]);
    await waitFor("tandem serve to listen", () => {
      if (!server.running) throw new Error(`serve exited: ${server.output().stderr}`);
      return server.output().stdout.includes("listening");
    });
    const remote = { TANDEM_SERVER: `http://127.0.0.1:${port}`, TANDEM_TOKEN: admin };
    const staging = await run(["deploy", "api@1.0.0", "--env", "staging"], remote);
    expect(staging.code, describeRun(["deploy"], staging)).toBe(0);
    const created = await run(["--json", "deploy", "api@1.0.0", "--env", "production", "--no-wait"], remote);
    const id = (JSON.parse(created.stdout) as ReleaseState).id;

    const watch = spawnCli(["status", "--watch"], remote);
    await waitFor("the watch to show the approval the release waits for", () =>
      /approval/i.test(watch.output().stdout),
    );
    expect(watch.running).toBe(true);
    const approve = await run(["approve", id], { ...remote, TANDEM_TOKEN: approver });
    expect(approve.code, describeRun(["approve"], approve)).toBe(0);
    const result = await watch.result;
    expect(result.code, describeRun(["status", "--watch"], result)).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`release ${id}\\s+production\\s+succeeded`));
  });
});
