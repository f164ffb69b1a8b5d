import { describe, expect, it } from "vitest";
import { SCHEMA_URL } from "./json-schema.js";
import { parseConfig } from "./loader.js";
import { initTemplate } from "./template.js";

const FILE = "/project/tandem.yaml";

describe("initTemplate", () => {
  it("starts with the yaml-language-server modeline naming the published schema", () => {
    expect(initTemplate("my-shop").split("\n")[0]).toBe(`# yaml-language-server: $schema=${SCHEMA_URL}`);
  });

  it("parses without errors into a canary behind the builtin router", () => {
    const config = parseConfig(initTemplate("my-shop"), FILE, { env: {} });
    expect(config.project).toBe("my-shop");
    const web = config.services.web!;
    expect(web.target.type).toBe("process");
    expect(web.router).toMatchObject({ type: "builtin", listen: 8080 });
    expect(web.health.map((probe) => probe.type)).toEqual(["http"]);
    expect(web.strategy.type).toBe("canary");
  });

  it("promotes staging to production through an approval gate, on production's own port", () => {
    const { environments } = parseConfig(initTemplate("my-shop"), FILE, { env: {} });
    expect(Object.keys(environments)).toEqual(["staging", "production"]);
    expect(environments.staging!.services.web!.router).toMatchObject({ listen: 8080 });
    const production = environments.production!;
    expect(production.after).toBe("staging");
    expect(production.approval).toMatchObject({ required: 1, approvers: [], timeout: 4 * 3_600_000 });
    expect(production.services.web!.router).toMatchObject({ type: "builtin", listen: 9080 });
    expect(production.freeze).toEqual([]);
  });

  it("its commented freeze example is valid once uncommented", () => {
    const text = initTemplate("my-shop").replace(/^( *)# (freeze:| {2}- \{ name:)/gm, "$1$2");
    expect(text).toContain("\n    freeze:\n");
    const { environments } = parseConfig(text, FILE, { env: {} });
    expect(environments.production!.freeze).toEqual([
      {
        name: "weekend",
        type: "schedule",
        schedule: "0 18 * * 5",
        duration: 62 * 3_600_000,
        timezone: "Europe/Paris",
      },
      {
        name: "holidays",
        type: "period",
        from: Date.parse("2026-12-23T23:00:00Z"),
        to: Date.parse("2027-01-01T23:00:00Z"),
      },
    ]);
  });

  it("is commented", () => {
    expect(
      initTemplate("x")
        .split("\n")
        .filter((line) => line.includes("#")).length,
    ).toBeGreaterThan(5);
  });
});
