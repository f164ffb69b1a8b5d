import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { VERSION } from "../core/version.js";
import { configJsonSchema, SCHEMA_URL } from "./json-schema.js";
import { fileSchema, serviceSchema } from "./schema.js";
import { initTemplate } from "./template.js";

// biome-ignore lint/suspicious/noExplicitAny: walking an untyped JSON document
type Json = Record<string, any>;

const TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions"]);
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);
const SUBSCHEMAS = new Set(["additionalProperties", "additionalItems", "propertyNames", "not", "contains"]);
const NUMBERS = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]);
const COUNTS = new Set(["minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"]);
const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "title",
  "description",
  "default",
  "examples",
  "const",
  "format",
]);

/** Every problem that makes `node` an invalid draft-07 schema (the keywords zod emits), by path. */
function schemaProblems(node: unknown, path = "#"): string[] {
  if (typeof node === "boolean") return [];
  if (typeof node !== "object" || node === null || Array.isArray(node)) return [`${path}: not a schema`];
  const schema = node as Json;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(schema)) {
    const at = `${path}/${key}`;
    if (SCHEMA_MAPS.has(key)) {
      for (const [name, child] of Object.entries(value as Json))
        problems.push(...schemaProblems(child, `${at}/${name}`));
    } else if (SCHEMA_LISTS.has(key)) {
      if (!Array.isArray(value) || value.length === 0) problems.push(`${at}: expected a non-empty list`);
      else {
        value.forEach((child, index) => {
          problems.push(...schemaProblems(child, `${at}/${index}`));
        });
      }
    } else if (key === "items" && Array.isArray(value)) {
      // draft-07 tuple: one schema per position.
      value.forEach((child, index) => {
        problems.push(...schemaProblems(child, `${at}/${index}`));
      });
    } else if (key === "items" || SUBSCHEMAS.has(key)) problems.push(...schemaProblems(value, at));
    else if (NUMBERS.has(key)) {
      if (typeof value !== "number") problems.push(`${at}: expected a number`);
    } else if (COUNTS.has(key)) {
      if (!(Number.isInteger(value) && value >= 0)) problems.push(`${at}: expected a count`);
    } else if (key === "type") {
      const types = Array.isArray(value) ? value : [value];
      if (!types.every((type) => TYPES.has(type)))
        problems.push(`${at}: unknown type ${JSON.stringify(value)}`);
    } else if (key === "required") {
      const known = Object.keys(schema.properties ?? {});
      if (!Array.isArray(value) || !value.every((name) => known.includes(name))) {
        problems.push(`${at}: requires a property it does not declare`);
      }
    } else if (key === "pattern") {
      try {
        new RegExp(value, "u");
      } catch {
        problems.push(`${at}: invalid pattern`);
      }
    } else if (key === "enum") {
      if (!Array.isArray(value)) problems.push(`${at}: expected a list`);
    } else if (!ANNOTATIONS.has(key)) problems.push(`${at}: unknown keyword`);
  }
  return problems;
}

describe("configJsonSchema", () => {
  const schema = configJsonSchema() as Json;
  const service = schema.properties.services.additionalProperties;
  const environment = schema.properties.environments.additionalProperties.anyOf[0];

  it("is a valid draft-07 schema, as plain JSON, with an $id naming this version", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.$id).toBe(SCHEMA_URL);
    expect(SCHEMA_URL).toContain(`tandem-deploy@${VERSION}/`);
    expect(schemaProblems(schema)).toEqual([]);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    // No keyword of a later draft that a draft-07 editor would ignore.
    expect(JSON.stringify(schema)).not.toMatch(/"\$defs"|"prefixItems"|"dependentSchemas"|"unevaluated/);
  });

  it("ajv (draft-07, strict) compiles it, accepts the init template and refuses a typo, located", () => {
    // Formats (uri, email) are annotations for editors here; ajv checks every keyword else, strictly.
    const ajv = new Ajv({
      strict: true,
      allErrors: true,
      strictTypes: false,
      strictTuples: false,
      validateFormats: false,
    });
    const validate = ajv.compile(schema);
    const sample = parse(initTemplate("shop"));
    expect(validate(sample), JSON.stringify(validate.errors)).toBe(true);
    const typo = structuredClone(sample);
    typo.services.web.target.replcas = 2;
    expect(validate(typo)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        instancePath: "/services/web/target",
        params: expect.objectContaining({ additionalProperty: "replcas" }),
      }),
    );
  });

  it("carries the zod schemas' descriptions and defaults", () => {
    expect(schema.properties.project.description).toEqual(expect.any(String));
    expect(service.properties.strategy.description).toEqual(expect.any(String));
    expect(JSON.stringify(schema).match(/"description":/g)?.length).toBeGreaterThan(100);
    expect(schema.properties.rollbackPolicy.default).toBe("release");
  });

  it("the checker above does catch an invalid schema", () => {
    expect(
      schemaProblems({ type: "object", properties: { a: { type: "text", minLength: -1 } }, required: ["b"] }),
    ).toEqual([
      '#/properties/a/type: unknown type "text"',
      "#/properties/a/minLength: expected a count",
      "#/required: requires a property it does not declare",
    ]);
  });

  it("describes every top-level and service field the schema accepts", () => {
    expect(Object.keys(schema.properties)).toEqual(Object.keys(fileSchema.shape));
    expect(Object.keys(schema.properties)).toEqual([
      "project",
      "store",
      "stateDir",
      "environments",
      "defaults",
      "rollbackPolicy",
      "hooks",
      "analysis",
      "notifications",
      "services",
    ]);
    expect(schema.required).toEqual(["project", "services"]);
    expect(Object.keys(service.properties)).toEqual(Object.keys(serviceSchema.shape));
    expect(service.additionalProperties).toBe(false);
    const targetTypes = service.properties.target.anyOf.map((branch: Json) => branch.properties.type.const);
    expect(targetTypes).toEqual(["process", "sim", "command", "github-actions"]);
    expect(Object.keys(service.properties.strategy.properties)).toEqual([
      "canary",
      "blueGreen",
      "rolling",
      "recreate",
    ]);
  });

  it("describes the release fields: rollbackPolicy, hooks, dependsOn on a step, canary gate and hook steps", () => {
    expect(schema.properties.rollbackPolicy).toMatchObject({
      enum: ["release", "service"],
      default: "release",
    });
    const hook = schema.properties.hooks.properties.pre.items;
    expect(Object.keys(hook.properties)).toEqual(["name", "command", "shell", "timeout", "cwd", "env"]);
    expect(hook.required).toEqual(["command"]);
    expect(hook.additionalProperties).toBe(false);
    expect(Object.keys(service.properties.hooks.properties)).toEqual(["pre", "post"]);
    const dependency = service.properties.dependsOn.items.anyOf;
    expect(dependency.map((branch: Json) => branch.type)).toEqual(["string", "object"]);
    expect(Object.keys(dependency[1].properties)).toEqual(["service", "step"]);
    const step = service.properties.strategy.properties.canary.properties.steps.items;
    expect(Object.keys(step.properties)).toEqual([
      "name",
      "setWeight",
      "pause",
      "approval",
      "hook",
      "analysis",
    ]);
  });

  it("keeps a property named `required` while dropping the required keyword from services", () => {
    const step = service.properties.strategy.properties.canary.properties.steps.items;
    expect(step.properties.approval.properties.required).toMatchObject({
      type: "integer",
      minimum: 1,
      default: 1,
    });
    expect(environment.properties.approval.properties.required).toMatchObject({
      type: "integer",
      minimum: 1,
    });
  });

  it("describes environments: after, approval, freeze windows, hooks and typed service overrides", () => {
    expect(Object.keys(environment.properties)).toEqual(["after", "approval", "freeze", "hooks", "services"]);
    expect(environment.additionalProperties).toBe(false);
    expect(schema.properties.environments.additionalProperties.anyOf[1]).toEqual({ type: "null" });
    const freeze = environment.properties.freeze.items;
    expect(Object.keys(freeze.properties)).toEqual([
      "name",
      "reason",
      "from",
      "to",
      "schedule",
      "duration",
      "timezone",
    ]);
    expect(freeze.additionalProperties).toBe(false);
    const override = environment.properties.services.additionalProperties;
    expect(Object.keys(override.properties)).toEqual(Object.keys(service.properties));
    expect(override.additionalProperties).toBe(false);
    expect(JSON.stringify(override)).not.toContain('"default"');
    expect(override.properties.target.anyOf[1].properties.replicas).toEqual({
      type: "integer",
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
    });
  });

  it("shows input defaults as written", () => {
    const builtin = service.properties.router.anyOf[0];
    expect(builtin.properties.holdTimeout.default).toBe("30s");
    const nginx = service.properties.router.anyOf[1];
    expect(nginx.properties.type).toEqual({ type: "string", const: "nginx" });
    expect(nginx.properties.workerProcesses.default).toBe(1);
    expect(nginx.properties.host.default).toBe("127.0.0.1");
    expect(nginx.properties.listen).toMatchObject({ type: "integer", minimum: 1, maximum: 65535 });
    expect(nginx.properties.workerProcesses.anyOf).toHaveLength(2);
    expect(nginx.additionalProperties).toBe(false);
    expect(service.properties.hooks.default).toEqual({});
  });
});
