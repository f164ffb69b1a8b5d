import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliProcess } from "./helpers/cli.js";
import { ensureDebianProgram } from "./helpers/debian-program.js";

/**
 * `tandem completion zsh|fish` in the real shells (Debian's zsh and fish): the scripts offer the
 * commands, the subcommands and the options of the command tree, as the bash one does
 * (test/cli-conventions.test.ts).
 */
describe("zsh and fish completion", () => {
  let dir: string;
  let zsh: string;
  let fish: string;

  const script = async (shell: string) => {
    const result = await new CliProcess(["completion", shell], { cwd: dir, timeoutMs: 30_000 }).result;
    expect(result.code, result.stderr).toBe(0);
    const file = join(dir, `tandem.${shell}`);
    writeFileSync(file, result.stdout);
    return file;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-completion-"));
    [zsh, fish] = await Promise.all([ensureDebianProgram("zsh"), ensureDebianProgram("fish")]);
  }, 15 * 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fish offers commands, subcommands and a command's options", async () => {
    const file = await script("fish");
    /** The candidates fish offers for the command line typed so far. */
    const complete = (line: string) => {
      const result = spawnSync(fish, ["--no-config", "-c", `source ${file}; complete -C '${line}'`], {
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(result.stderr).toBe("");
      return result.stdout
        .split("\n")
        .filter(Boolean)
        .map((entry) => entry.split("\t")[0]);
    };
    const top = complete("tandem ");
    for (const command of ["deploy", "status", "rollback", "token", "registry", "completion"]) {
      expect(top).toContain(command);
    }
    expect(complete("tandem token ").sort()).toEqual(["create", "help", "list", "revoke"]);
    expect(complete("tandem deploy --e")).toContain("--env");
    expect(complete("tandem deploy --e")).not.toContain("--expect-head");
  });

  it("zsh offers commands, subcommands and a command's options", async () => {
    const file = await script("zsh");
    /**
     * What the completion function hands to `_describe` for the words typed (the last one being
     * completed); zsh's own matching of the typed prefix happens later, in compadd.
     */
    const complete = (...words: string[]) => {
      const typed = ["tandem", ...words].map((w) => `'${w}'`).join(" ");
      const result = spawnSync(
        zsh,
        [
          "-f",
          "-c",
          [
            "autoload -U compinit && compinit -u -D",
            // _describe's last argument names the array of "candidate:description".
            // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's own parameter expansion
            '_describe() { local -a offered; offered=("${(@P)${@[-1]}}"); print -l -- "${offered[@]%%:*}"; }',
            "_files() { print -- '<files>'; }",
            `source ${file}`,
            `words=(${typed}); CURRENT=${words.length + 1}; _tandem`,
          ].join("\n"),
        ],
        { encoding: "utf8", timeout: 30_000 },
      );
      expect(result.stderr).toBe("");
      return result.stdout.split("\n").filter(Boolean);
    };
    const top = complete("");
    for (const command of ["deploy", "status", "rollback", "token", "registry", "completion"]) {
      expect(top).toContain(command);
    }
    expect(complete("token", "").sort()).toEqual(["create", "help", "list", "revoke"]);
    const deployOptions = complete("deploy", "--e");
    expect(deployOptions).toContain("--env");
    expect(deployOptions).toContain("--override-freeze");
    expect(deployOptions).not.toContain("--expect-head");
    // After an option that takes a value, the value is a file or free text, not a command.
    expect(complete("deploy", "--env", "")).toEqual(["<files>"]);
  });
});
