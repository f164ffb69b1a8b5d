import { describe, expect, it } from "vitest";
import { parseConfig } from "./loader.js";
import { initTemplate } from "./template.js";

describe("initTemplate", () => {
  it("parses without errors into a canary behind the builtin router", () => {
    const config = parseConfig(initTemplate("my-shop"), "/project/tandem.yaml", { env: {} });
    expect(config.project).toBe("my-shop");
    const web = config.services.web!;
    expect(web.target.type).toBe("process");
    expect(web.router).toMatchObject({ type: "builtin", listen: 8080 });
    expect(web.health.map((probe) => probe.type)).toEqual(["http"]);
    expect(web.strategy.type).toBe("canary");
  });

  it("is commented", () => {
    expect(
      initTemplate("x")
        .split("\n")
        .filter((line) => line.includes("#")).length,
    ).toBeGreaterThan(5);
  });
});
