import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { INPUT_LIMITS } from "./limits.js";
import { loadConfig, parseConfig } from "./loader.js";
import { FILE, problems, yaml } from "./test-helpers.js";

const SERVICE = "project: shop\nservices:\n  api:\n    target: { type: sim }\n";

/** The located issues of `text`, failing unless it is refused within a second. */
function refused(text: string): string[] {
  const started = performance.now();
  const found = problems(text);
  expect(performance.now() - started, "answered within 1 s").toBeLessThan(1000);
  return found;
}

/** `depth` nested flow lists: `[[[…]]]`. */
function nestedLists(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

describe("aliases and anchors", () => {
  it("an alias with no anchor", () => {
    expect(refused(`${SERVICE}x: *nope\n`)).toEqual([
      "5:4 : alias *nope refers to no anchor; define `&nope` on a value above this line, or write the value here",
    ]);
  });

  it("an alias used before its anchor", () => {
    expect(refused(`${SERVICE}a: *later\nb: &later 1\n`)[0]).toMatch(
      /^5:4 : alias \*later refers to no anchor/,
    );
  });

  it("a merge key of an unknown alias", () => {
    const text = yaml`
      project: shop
      services:
        api:
          <<: *unknown
          target: { type: sim }
    `;
    expect(refused(text)).toEqual([
      "4:9 : alias *unknown refers to no anchor; define `&unknown` on a value above this line, or write the value here",
    ]);
  });

  it("a merge key of a scalar, and of a list holding a scalar", () => {
    const text = yaml`
      name: &name hello
      project: shop
      services:
        api:
          <<: *name
          target: { type: sim }
        web:
          <<: [*name]
          target: { type: sim }
    `;
    const found = refused(text);
    expect(found).toEqual([
      "5:9 : `<<` merges mappings: write `<<: *name` where `&name` marks a mapping (or a list of such aliases)",
      "8:10 : `<<` merges mappings: write `<<: *name` where `&name` marks a mapping (or a list of such aliases)",
    ]);
  });

  it("an anchor that refers to itself, directly or through a merge key", () => {
    expect(refused(`${SERVICE}a: &l {self: *l}\n`)).toEqual([
      "5:14 : alias *l is inside the value its anchor &l marks, so it would never end; refer to another value",
    ]);
    const merged = yaml`
      project: shop
      services:
        api: &api
          target: { type: sim }
          <<: *api
    `;
    expect(refused(merged)).toEqual([
      "5:9 : alias *api is inside the value its anchor &api marks, so it would never end; refer to another value",
    ]);
    expect(refused("&root [*root]\n")).toEqual([
      "1:8 : alias *root is inside the value its anchor &root marks, so it would never end; refer to another value",
    ]);
  });

  it("an alias bomb (billion laughs) is refused at the alias over the budget", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (const [index, name] of ["b", "c", "d", "e", "f", "g", "h", "i"].entries()) {
      const previous = String.fromCharCode("a".charCodeAt(0) + index);
      levels.push(`${name}: &${name} [${Array.from({ length: 10 }, () => `*${previous}`).join(", ")}]`);
    }
    const found = refused(`${SERVICE}${levels.join("\n")}\n`);
    expect(found).toEqual([
      // a: 11 values, each *a 11, each *b 111, each *c 1,111: the 8th *c passes 10,000.
      `8:36 : aliases expand to more than ${INPUT_LIMITS.maxAliasExpansion} values; write the repeated parts out, or use \`defaults\``,
    ]);
  });

  it("a merge key of a mapping works, and a mistake inside the anchored mapping is located there", () => {
    const text = yaml`
      x-target: &sim
        type: sim
        replcas: 2
      project: shop
      services:
        api:
          target:
            <<: *sim
    `;
    expect(problems(text)).toContain(
      '3:3 services.api.target: unknown field "replcas", did you mean "replicas"?',
    );
    const good = parseConfig(
      yaml`
        project: shop
        services:
          api:
            target: &sim { type: sim, replicas: 3 }
          web:
            target: { <<: *sim, replicas: 1 }
      `,
      FILE,
      { env: {} },
    );
    expect(good.services.web?.target).toMatchObject({ type: "sim", replicas: 1 });
    expect(good.services.api?.target).toMatchObject({ type: "sim", replicas: 3 });
  });
});

describe("nesting, sizes and documents", () => {
  it("nesting deeper than the limit, within the parser's reach and beyond it", () => {
    const limit = INPUT_LIMITS.maxDepth;
    // The top-level mapping is the first level.
    expect(refused(`${SERVICE}deep: ${nestedLists(limit - 1)}\n`)).toEqual([
      expect.stringMatching(/^5:1 : unknown field "deep"/),
    ]);
    expect(refused(`${SERVICE}deep: ${nestedLists(limit)}\n`)).toEqual([
      `5:${6 + limit} : nested more than ${limit} levels deep; flatten this value`,
    ]);
    const beyond = refused(`${SERVICE}deep: ${nestedLists(50_000)}\n`);
    expect(beyond).toHaveLength(1);
    expect(beyond[0]).toMatch(
      /^5:262 : nested more than 64 levels deep \(brackets and indentation open over 256 levels here\); flatten/,
    );
    const block = Array.from({ length: 400 }, (_, level) => `${" ".repeat(level)}k:`).join("\n");
    expect(refused(`${block} 1\n`)).toEqual([
      "257:257 : nested more than 64 levels deep (brackets and indentation open over 256 levels here); flatten this value",
    ]);
    expect(refused(`${SERVICE}deep:\n  ${"- ".repeat(50_000)}x\n`)[0]).toMatch(
      /^6:\d+ : nested more than 64 levels deep/,
    );
  });

  it("an alias that nests an anchored value past the limit", () => {
    const half = INPUT_LIMITS.maxDepth / 2 + 2;
    const text = `${SERVICE}a: &a ${nestedLists(half)}\nb: ${"[".repeat(half)}*a${"]".repeat(half)}\n`;
    expect(refused(text)).toEqual([
      `6:${4 + half} : alias *a nests values more than ${INPUT_LIMITS.maxDepth} levels deep; flatten the anchored value`,
    ]);
  });

  it("a value longer than the scalar limit, and a text larger than the file limit", () => {
    const long = "x".repeat(INPUT_LIMITS.maxScalarLength + 1);
    expect(refused(`${SERVICE}note: ${long}\n`)).toEqual([
      `5:7 : this value is ${long.length} characters long; a value may have at most ${INPUT_LIMITS.maxScalarLength} (put long content in a file and refer to it)`,
    ]);
    const huge = `${SERVICE}note: "${"y".repeat(5 * 1024 * 1024)}"\n`;
    expect(refused(huge)).toEqual([
      `1:1 : the file has ${huge.length} bytes; a configuration file may have at most 131072 bytes (128 KiB) (is this the right file?)`,
    ]);
  });

  it("a key written twice, several documents, a document that is not a mapping", () => {
    expect(refused(`${SERVICE}project: other\n`)).toEqual([
      '5:1 : key "project" is written twice in this mapping; keep one of them',
    ]);
    expect(refused(`${SERVICE}---\nproject: again\n`)).toEqual([
      "5:1 : a second YAML document starts here (`---`); the file must hold one document: remove the `---` and what follows, or merge it into the first",
    ]);
    expect(refused("# a list\n- project: shop\n")).toEqual([
      "2:1 : expected a mapping of fields (project, services, ...) at the top level",
    ]);
    expect(refused("just a string\n")).toEqual([
      "1:1 : expected a mapping of fields (project, services, ...) at the top level",
    ]);
  });

  it("lists at most maxIssues problems, the last one counting the rest", () => {
    const lines = Array.from({ length: 500 }, (_, index) => `a${index}: *missing${index}`);
    const found = refused(`${SERVICE}${lines.join("\n")}\n`);
    expect(found).toHaveLength(INPUT_LIMITS.maxIssues);
    const syntax = refused(
      `${SERVICE}${Array.from({ length: 500 }, (_, index) => `k${index}: b: c`).join("\n")}\n`,
    );
    expect(syntax.length).toBeLessThanOrEqual(INPUT_LIMITS.maxIssues);
    expect(syntax.at(-1)).toMatch(/more problems like these; fix the ones above first$/);
  });
});

describe("many mistakes", () => {
  it("hundreds of unknown names: suggestions stop at a budget, the error lists at most maxIssues", () => {
    const services = Array.from(
      { length: 600 },
      (_, index) => `  s${index}: { target: { type: sim }, dependsOn: [s${index + 1}x] }`,
    );
    const text = `project: shop\nservices:\n${services.join("\n")}\n`;
    const started = performance.now();
    const found = problems(text);
    // Quadratic suggestions took over 10 s here; the budget keeps this to well under a second on a quiet machine.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(found).toHaveLength(INPUT_LIMITS.maxIssues);
    expect(found[0]).toBe('3:44 services.s0.dependsOn[0]: unknown service "s1x", did you mean "s1"?');
    expect(found.at(-1)).toMatch(/^\d+:\d+ .*: 551 more problems like these; fix the ones above first$/);
  });
});

describe("files", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function write(content: string | Buffer): string {
    dir = mkdtempSync(join(tmpdir(), "tandem-hostile-"));
    const file = join(dir, "tandem.yaml");
    writeFileSync(file, content);
    return file;
  }

  function loadIssues(file: string): string[] {
    try {
      loadConfig(file, { env: {} });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`);
    }
    throw new Error("expected the file to be refused");
  }

  it("bytes that are not UTF-8 are located at the bad byte", () => {
    const file = write(
      Buffer.concat([
        Buffer.from("project: shop\nservices:\n  api: { target: caf"),
        Buffer.from([0xe9, 0x20]),
        Buffer.from("}\n"),
      ]),
    );
    expect(loadIssues(file)).toEqual([
      `${file}:3:21: byte 0xE9 is not UTF-8 text; save the file as UTF-8 (is it a binary file?)`,
    ]);
  });

  it("a file over the size limit is refused without reading it all", () => {
    const content = `${SERVICE}#${"z".repeat(INPUT_LIMITS.maxBytes)}\n`;
    const file = write(content);
    const started = performance.now();
    expect(loadIssues(file)).toEqual([
      `${file}:1:1: the file has ${content.length} bytes; a configuration file may have at most 131072 bytes (128 KiB) (is this the right file?)`,
    ]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("a UTF-8 file with a byte-order mark is read", () => {
    const file = write(`\uFEFF${SERVICE}`);
    expect(loadConfig(file, { env: {} }).project).toBe("shop");
  });
});
