import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, TandemError } from "../core/errors.js";
import { parseManifest, parsePairs, readManifest } from "./manifest.js";

function configError(work: () => unknown): ConfigError {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseManifest", () => {
  it("reads provides and requires, keeping every value as written (1.10 stays 1.10)", () => {
    const text = "provides: { orders-api: 3.1.0 }\nrequires:\n  api: ^2.4\n  db: 1.10\n";
    expect(parseManifest(text, "m.yaml")).toEqual({
      provides: { "orders-api": "3.1.0" },
      requires: { api: "^2.4", db: "1.10" },
    });
  });

  it("accepts JSON, an empty file and absent or empty sections", () => {
    expect(parseManifest('{"requires": {"api": ">=2.3.0 <3"}}', "m.json")).toEqual({
      provides: {},
      requires: { api: ">=2.3.0 <3" },
    });
    expect(parseManifest("", "m.yaml")).toEqual({ provides: {}, requires: {} });
    expect(parseManifest("provides:\nrequires: { api: ^2 }\n", "m.yaml")).toEqual({
      provides: {},
      requires: { api: "^2" },
    });
  });

  it("locates a bad range at file:line:col", () => {
    const error = configError(() =>
      parseManifest("provides: { a: 1.0.0 }\nrequires:\n  api: ^2.x.q\n", "m.yaml"),
    );
    expect(error.code).toBe("TANDEM_ERR_CONFIG");
    expect(error.issues).toEqual([
      expect.objectContaining({ file: "m.yaml", line: 3, column: 8, path: "requires.api" }),
    ]);
    expect(error.message).toMatch(/m\.yaml:3:8: requires\.api: "\^2\.x\.q" is not a semver range/);
  });

  it("refuses a provided version that is not exact", () => {
    const error = configError(() => parseManifest("provides:\n  orders-api: ^3.1\n", "m.yaml"));
    expect(error.issues[0]).toMatchObject({ line: 2, column: 15, path: "provides.orders-api" });
    expect(error.issues[0]?.message).toMatch(/not an exact semver version/);
  });

  it("locates unknown fields at their key, with a suggestion for a typo", () => {
    const error = configError(() => parseManifest("provides: {}\nrequire:\n  api: ^2\n", "m.yaml"));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ line: 2, column: 1 });
    expect(error.issues[0]?.message).toMatch(/require/);
    expect(error.issues[0]?.message).toMatch(/requires/);
  });

  it("refuses a list where a mapping is expected, a bad name and a YAML syntax error", () => {
    expect(configError(() => parseManifest("requires: [api]\n", "m.yaml")).issues[0]).toMatchObject({
      line: 1,
      column: 11,
      path: "requires",
    });
    expect(configError(() => parseManifest("requires: { 'bad name': ^1 }\n", "m.yaml")).message).toMatch(
      /invalid name "bad name"/,
    );
    expect(configError(() => parseManifest("requires: { api: ^1\n", "m.yaml")).message).toMatch(
      /syntax error/,
    );
    expect(configError(() => parseManifest("- api\n", "m.yaml")).message).toMatch(/expected a mapping/);
  });
});

describe("readManifest", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tandem-manifest-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("returns undefined when the directory ships no manifest", () => {
    expect(readManifest(dir)).toBeUndefined();
    expect(readManifest(join(dir, "missing"))).toBeUndefined();
  });

  it("reads tandem-version.yaml, .yml or .json", () => {
    for (const name of ["tandem-version.yaml", "tandem-version.yml", "tandem-version.json"]) {
      const versionDir = mkdtempSync(join(dir, "v-"));
      const text = name.endsWith(".json") ? '{"requires": {"api": "^2.4"}}' : "requires: { api: ^2.4 }\n";
      writeFileSync(join(versionDir, name), text);
      expect(readManifest(versionDir)).toEqual({ provides: {}, requires: { api: "^2.4" } });
    }
  });

  it("names the file in located errors", () => {
    const file = join(dir, "tandem-version.yml");
    writeFileSync(file, "requires: { api: nope }\n");
    expect(() => readManifest(dir)).toThrow(`${file}:1:18: requires.api`);
  });

  it("refuses two manifests in one directory", () => {
    writeFileSync(join(dir, "tandem-version.yaml"), "");
    writeFileSync(join(dir, "tandem-version.json"), "{}");
    expect(() => readManifest(dir)).toThrow(/several version manifests/);
  });
});

describe("parsePairs", () => {
  it("accepts name:value and name=value, splitting at the first separator", () => {
    expect(parsePairs(["api:^2.4", "db=1.2", "auth=>=1.0.0 <2", "cache: ~3.1 "])).toEqual({
      api: "^2.4",
      db: "1.2",
      auth: ">=1.0.0 <2",
      cache: "~3.1",
    });
    expect(parsePairs(["orders-api:3.1.0"], "provides")).toEqual({ "orders-api": "3.1.0" });
    expect(parsePairs([])).toEqual({});
  });

  it.each([
    ["api", /expected NAME:VALUE/],
    [":^2", /expected NAME:VALUE/],
    ["api:", /no value for "api"/],
    ["api:^2.x.q", /not a semver range/],
    ["bad name:^1", /not a valid name/],
  ])("refuses %j with a clear message", (pair, message) => {
    let caught: unknown;
    try {
      parsePairs([pair]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TandemError);
    expect((caught as TandemError).code).toBe("TANDEM_ERR_INVALID_REQUEST");
    expect((caught as TandemError).message).toMatch(message);
    expect((caught as TandemError).message).toContain(`--requires "${pair}"`);
    expect((caught as TandemError).hint).toMatch(/NAME:RANGE/);
  });

  it("refuses a range where provides wants an exact version, and duplicates", () => {
    expect(() => parsePairs(["orders-api:^3"], "provides")).toThrow(/not an exact semver version/);
    expect(() => parsePairs(["api:^2", "api=^3"])).toThrow(/"api" is given twice/);
  });
});
