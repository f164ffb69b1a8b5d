import { describe, expect, it } from "vitest";
import { configJsonSchema } from "./json-schema.js";

// biome-ignore lint/suspicious/noExplicitAny: walking an untyped JSON document
type Json = Record<string, any>;

describe("configJsonSchema", () => {
  const schema = configJsonSchema() as Json;

  it("describes the top level and every service field", () => {
    expect(Object.keys(schema.properties)).toEqual([
      "project",
      "store",
      "stateDir",
      "environments",
      "defaults",
      "services",
    ]);
    expect(schema.required).toEqual(["project", "services"]);
    const service = schema.properties.services.additionalProperties;
    expect(Object.keys(service.properties)).toEqual([
      "target",
      "router",
      "health",
      "strategy",
      "dependsOn",
      "pauseTimeout",
    ]);
    expect(service.additionalProperties).toBe(false);
    const targetTypes = service.properties.target.anyOf.map((branch: Json) => branch.properties.type.const);
    expect(targetTypes).toEqual(["process", "sim"]);
    expect(Object.keys(service.properties.strategy.properties)).toEqual([
      "canary",
      "blueGreen",
      "rolling",
      "recreate",
    ]);
  });

  it("shows input defaults as written", () => {
    const service = schema.properties.services.additionalProperties;
    const builtin = service.properties.router.anyOf[0];
    expect(builtin.properties.holdTimeout.default).toBe("30s");
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
