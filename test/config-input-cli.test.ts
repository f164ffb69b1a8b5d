import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";

const SERVICE = "project: shop\nservices:\n  api:\n    target: { type: sim }\n";

function bomb(): string {
  const levels = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let level = 1; level < 9; level++) {
    levels.push(`l${level}: &l${level} [${Array.from({ length: 10 }, () => `*l${level - 1}`).join(", ")}]`);
  }
  return `${SERVICE}${levels.join("\n")}\n`;
}

/** Hostile tandem.yaml files and where the CLI must point. */
const HOSTILE: { name: string; content: string | Buffer; at: RegExp }[] = [
  {
    name: "an undefined alias",
    content: `${SERVICE}x: *nope\n`,
    at: /tandem\.yaml:5:4: alias \*nope refers to no anchor/,
  },
  {
    name: "a merge key of an unknown alias",
    content: "project: shop\nservices:\n  api:\n    <<: *unknown\n    target: { type: sim }\n",
    at: /tandem\.yaml:4:9: alias \*unknown refers to no anchor/,
  },
  {
    name: "a self-referencing anchor",
    content: `${SERVICE}a: &l {self: *l}\n`,
    at: /tandem\.yaml:5:14: alias \*l is inside the value its anchor &l marks/,
  },
  {
    name: "an alias bomb",
    content: bomb(),
    at: /tandem\.yaml:8:\d+: aliases expand to more than 10000 values/,
  },
  {
    name: "50,000 nested lists",
    content: `${SERVICE}deep: ${"[".repeat(50_000)}${"]".repeat(50_000)}\n`,
    at: /tandem\.yaml:5:\d+: nested more than 64 levels deep/,
  },
  {
    name: "a 5 MB string",
    content: `${SERVICE}note: "${"x".repeat(5_000_000)}"\n`,
    at: /tandem\.yaml:1:1: the file has \d+ bytes; a configuration file may have at most 131072 bytes/,
  },
  {
    name: "bytes that are not UTF-8",
    content: Buffer.concat([Buffer.from(`${SERVICE}note: caf`), Buffer.from([0xe9]), Buffer.from("\n")]),
    at: /tandem\.yaml:5:10: byte 0xE9 is not UTF-8 text/,
  },
  {
    name: "a key written twice",
    content: `${SERVICE}project: again\n`,
    at: /tandem\.yaml:5:1: key "project" is written twice/,
  },
];

/** Exit 2, one `error TANDEM_ERR_CONFIG` with the location, no stack trace, no "unexpected error". */
function expectLocatedRefusal(
  result: { code: number | null; stderr: string },
  at: RegExp,
  detail: string,
): void {
  expect(result.code, detail).toBe(2);
  expect(result.stderr, detail).toMatch(/^error TANDEM_ERR_CONFIG: /);
  expect(result.stderr, detail).toMatch(at);
  expect(result.stderr, detail).not.toMatch(/unexpected error|\n\s+at |Error:/);
  expect(result.stderr.length, detail).toBeLessThan(2_000);
}

describe("tandem validate on hostile configuration files", () => {
  const projects: TestProject[] = [];
  afterEach(async () => {
    await Promise.all(projects.splice(0).map((project) => project.cleanup()));
  });

  it("refuses each with exit 2 and a file:line:col message, promptly", async () => {
    const runs = HOSTILE.map(async ({ name, content, at }) => {
      const project = TestProject.withConfigText("");
      projects.push(project);
      writeFileSync(project.configFile, content);
      const started = Date.now();
      const result = await project.cli(["validate"], { timeoutMs: 30_000 });
      return { name, at, result, ms: Date.now() - started };
    });
    for (const { name, at, result, ms } of await Promise.all(runs)) {
      const detail = `${name} (${ms} ms): ${describeRun(["validate"], result)}`;
      expectLocatedRefusal(result, at, detail);
    }
  }, 60_000);

  it("refuses a version manifest with an unknown alias the same way", async () => {
    const project = TestProject.withConfigText(SERVICE);
    projects.push(project);
    const manifest = join(project.dir, "tandem-version.yaml");
    writeFileSync(
      manifest,
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nprovides: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nrequires: { x: *nope }\n",
    );
    const args = ["registry", "publish", "api", "1.0.0", "--manifest", manifest];
    const result = await project.cli(args, { timeoutMs: 30_000 });
    expectLocatedRefusal(
      result,
      /tandem-version\.yaml:3:16: alias \*nope refers to no anchor/,
      describeRun(args, result),
    );
  }, 60_000);
});
