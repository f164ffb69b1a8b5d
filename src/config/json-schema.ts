import { z } from "zod";
import { VERSION } from "../core/version.js";
import { fileSchema } from "./schema.js";

/**
 * Where this version's schema is published: the npm package ships it as schema/tandem.schema.json
 * (written by `npm run build`), and `tandem init` names it in tandem.yaml's yaml-language-server modeline.
 */
export const SCHEMA_URL = `https://unpkg.com/tandem-deploy@${VERSION}/schema/tandem.schema.json`;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Any service field may come from `defaults` (`router: { listen: 8080 }` inherits `type: builtin`), so
 * an editor must not demand it: drop `required`, and let union branches overlap (`anyOf`). Property
 * names and value types are still checked; `tandem validate` checks the merged result.
 */
function withoutRequired(node: unknown): unknown {
  return rewrite(node, (key) => (key === "required" ? undefined : key === "oneOf" ? "anyOf" : key));
}

/** An override changes only what it names: no field is required and no default applies. */
function asOverride(node: unknown): unknown {
  return rewrite(withoutRequired(node), (key) => (key === "default" ? undefined : key));
}

/** Keywords whose value maps names to schemas: their keys are property names, never keywords. */
const NAME_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
/** Keywords whose value is data (a default, a constant), left as written. */
const DATA = new Set(["default", "const", "enum", "examples"]);

/** Renames (or drops, on undefined) schema keywords, recursively; property names are left alone. */
function rewrite(node: unknown, keyword: (key: string) => string | undefined): unknown {
  if (Array.isArray(node)) return node.map((item) => rewrite(item, keyword));
  if (!isObject(node)) return node;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    const renamed = keyword(key);
    if (renamed === undefined) continue;
    result[renamed] = DATA.has(key)
      ? value
      : NAME_MAPS.has(key) && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, rewrite(schema, keyword)]))
        : rewrite(value, keyword);
  }
  return result;
}

/**
 * JSON Schema (draft-07, what yaml-language-server supports fully) of tandem.yaml as written, for
 * editors and `tandem schema`: descriptions and defaults come from the zod schemas.
 */
export function configJsonSchema(): JsonObject {
  const generated = z.toJSONSchema(fileSchema, { io: "input", target: "draft-7" }) as JsonObject;
  const { $schema, ...rest } = generated;
  const schema: JsonObject = {
    $schema,
    $id: SCHEMA_URL,
    title: "tandem.yaml",
    ...rest,
  };
  const properties = schema.properties as JsonObject;
  const services = properties.services as JsonObject;
  const service = withoutRequired(services.additionalProperties) as JsonObject;
  services.additionalProperties = service;

  const defaults = properties.defaults as JsonObject;
  const defaultFields = defaults.properties as JsonObject;
  const serviceFields = service.properties as JsonObject;
  for (const field of ["router", "target", "strategy"]) {
    const described = defaultFields[field] as JsonObject;
    const { default: _ignored, ...fieldSchema } = serviceFields[field] as JsonObject;
    defaultFields[field] = { ...fieldSchema, description: described.description };
  }

  // `environments.NAME.services.SERVICE` takes any service field, so it is described as a partial service.
  const environment = (properties.environments as JsonObject).additionalProperties as JsonObject;
  for (const branch of (environment.anyOf as JsonObject[] | undefined) ?? [environment]) {
    const overrides = (branch.properties as JsonObject | undefined)?.services as JsonObject | undefined;
    if (overrides) overrides.additionalProperties = asOverride(service);
  }
  return schema;
}
