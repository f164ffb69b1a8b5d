import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { assertCliBuilt, CLI_ENTRY, REPO_ROOT } from "./helpers/paths.js";
import { TestProject } from "./helpers/project.js";

/**
 * The GitHub action at the repository root: its definition is checked for script injection, and its
 * run script is run with bash as the runner would (inputs as env, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files), with `tandem` on PATH being this repository's compiled CLI.
 */

interface ActionStep {
  id?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

const action = parse(readFileSync(join(REPO_ROOT, "action.yml"), "utf8")) as Action;

const CONFIG = `project: shop
environments:
  staging: {}
services:
  api:
    target: { type: sim, unhealthyVersions: ["6.6.6"] }
  web:
    target: { type: sim }
`;

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Parses a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIM` … `DELIM` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      outputs[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (line.includes("=")) {
      outputs[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return outputs;
}

describe("the GitHub action", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("is a composite action whose scripts take inputs only through env", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs).sort()).toEqual(
      [
        "config",
        "dashboard-url",
        "environment",
        "reason",
        "server",
        "services",
        "timeout",
        "token",
        "version",
        "wait",
      ].sort(),
    );
    expect(action.inputs.config?.default).toBe("tandem.yaml");
    expect(action.inputs.wait?.default).toBe("true");
    expect(action.inputs.services?.required).toBe(true);
    const referenced = new Set<string>();
    for (const step of action.runs.steps) {
      if (step.run !== undefined) {
        expect(step.run).not.toContain("${{");
        expect(step.shell).toBe("bash");
      }
      for (const value of Object.values(step.env ?? {})) {
        for (const match of value.matchAll(/inputs\.([\w-]+)/g)) referenced.add(match[1]!);
      }
    }
    // Every input reaches the script (through env).
    expect([...referenced].sort()).toEqual(Object.keys(action.inputs).sort());
    const ids = new Set(action.runs.steps.map((s) => s.id));
    for (const name of ["release-id", "status", "summary"]) {
      const match = /^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$/.exec(
        action.outputs[name]?.value ?? "",
      );
      expect(match, `output ${name}`).not.toBeNull();
      expect(ids.has(match![1])).toBe(true);
      expect(match![2]).toBe(name);
    }
  });

  /** Runs the action's step script with bash in the project directory, as the runner would. */
  async function runAction(p: TestProject, inputs: Record<string, string>): Promise<ActionRun> {
    assertCliBuilt();
    const bin = join(p.dir, "bin");
    mkdirSync(bin, { recursive: true });
    const shim = join(bin, "tandem");
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${CLI_ENTRY}" "$@"\n`);
    chmodSync(shim, 0o755);
    const outputFile = join(p.dir, "github-output");
    const summaryFile = join(p.dir, "github-summary.md");
    writeFileSync(outputFile, "earlier=1\n");
    writeFileSync(summaryFile, "# Earlier\n");
    const step = action.runs.steps.find((s) => s.id === "tandem")!;
    // The env the runner would evaluate: `${{ inputs.x }}` -> the input or its default.
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.env ?? {})) {
      const input = /^\$\{\{ inputs\.([\w-]+)/.exec(value)?.[1];
      if (input) env[name] = inputs[input] ?? action.inputs[input]?.default ?? "";
    }
    const child = spawn("bash", ["-c", step.run!], {
      cwd: p.dir,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: process.env.HOME ?? p.dir,
        GITHUB_ACTION_PATH: REPO_ROOT,
        GITHUB_ACTIONS: "true",
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        TANDEM_USER: "octocat",
        NO_COLOR: "1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the action did not finish\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }, 60_000);
      child.once("close", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const outputText = readFileSync(outputFile, "utf8");
    expect(outputText.startsWith("earlier=1\n")).toBe(true);
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputs(outputText),
      summary: readFileSync(summaryFile, "utf8"),
    };
  }

  it("runs a release and sets release-id, status and summary; a rollback fails the step", async () => {
    project = TestProject.withConfigText(CONFIG);
    const good = await runAction(project, {
      services: "api@1.0.0  web@2.0.0",
      environment: "staging",
      reason: "ship #42",
    });
    const detail = `stdout:\n${good.stdout}\nstderr:\n${good.stderr}`;
    expect(good.code, detail).toBe(0);
    expect(good.outputs.status).toBe("succeeded");
    expect(good.outputs["release-id"]).toMatch(/\S/);
    expect(good.outputs["exit-code"]).toBe("0");
    expect(good.outputs.summary).toContain(`### ✅ Tandem release ${good.outputs["release-id"]}: succeeded`);
    expect(good.outputs.summary).toContain("- **Requested because:** ship \\#42");
    expect(good.summary).toBe(`# Earlier\n${good.outputs.summary}\n`);
    const history = await project.cliJson<Array<{ id: string; status: string }>>(["history"]);
    expect(history.map((r) => `${r.id}:${r.status}`)).toEqual([`${good.outputs["release-id"]}:succeeded`]);

    const bad = await runAction(project, { services: "api@6.6.6", environment: "staging" });
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.outputs.status).toBe("rolled_back");
    expect(bad.outputs["release-id"]).not.toBe(good.outputs["release-id"]);
    expect(bad.stderr).toMatch(/^::error title=Tandem release \S+ rolled back::api@6\.6\.6 in staging/m);
  });

  it("does not execute shell text in inputs, and refuses what is not SERVICE@VERSION", async () => {
    project = TestProject.withConfigText(CONFIG);
    const marker = join(project.dir, "pwned");
    const result = await runAction(project, {
      services: `api@1.0.0;touch$IFS${marker} $(touch ${marker}) \`touch ${marker}\``,
      environment: "staging",
    });
    expect(existsSync(marker)).toBe(false);
    expect(result.code, result.stderr).toBe(2);
    expect(result.outputs.status).toBe("error");
    expect(result.outputs["release-id"]).toBe("");

    const wait = await runAction(project, { services: "api@1.0.0", wait: "maybe" });
    expect(wait.code).toBe(2);
    expect(wait.stdout).toContain("::error title=Tandem action::input 'wait' must be true or false");
  });

  it("with wait: false creates the release and returns without driving it", async () => {
    project = TestProject.withConfigText(CONFIG);
    const result = await runAction(project, { services: "web@2.0.0", environment: "staging", wait: "false" });
    expect(result.code, result.stderr).toBe(0);
    expect(result.outputs.status).toBe("pending");
    const status = await project.cliJson<{ releases: Array<{ id: string; status: string }> }>(["status"]);
    expect(status.releases.map((r) => r.id)).toEqual([result.outputs["release-id"]]);
    // `tandem engine` drives it to its end.
    const engine = await project.cli(["engine"], { timeoutMs: 60_000 });
    expect(engine.code, engine.stderr).toBe(0);
    const after = await project.cliJson<Array<{ id: string; status: string }>>(["history"]);
    expect(after[0]).toMatchObject({ id: result.outputs["release-id"], status: "succeeded" });
  });

  it("with timeout stops following a release waiting for approval, exits 130 and leaves it open", async () => {
    project = TestProject.withConfigText(`project: shop
environments:
  staging:
    approval: { approvers: [bob], timeout: 10m }
services:
  web:
    target: { type: sim }
`);
    const result = await runAction(project, { services: "web@2.0.0", environment: "staging", timeout: "4s" });
    expect(result.code, result.stderr).toBe(130);
    expect(result.outputs.status).toBe("interrupted");
    expect(result.outputs["exit-code"]).toBe("130");
    expect(result.stderr).toContain("stopped driving the release");
    // The summary says where the release stands.
    expect(result.outputs.summary).toContain("### ✋ Tandem release");
    expect(result.outputs.summary).toContain(": awaiting approval");
    const status = await project.cliJson<{
      releases: Array<{ status: string; rollouts: Array<{ weight: number }> }>;
    }>(["status"]);
    expect(status.releases.map((r) => `${r.status}:${r.rollouts[0]?.weight}`)).toEqual([
      "awaiting_approval:0",
    ]);
  });
});
