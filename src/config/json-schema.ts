import { z } from "zod";
import { fileSchema } from "./schema.js";

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
  if (Array.isArray(node)) return node.map(withoutRequired);
  if (!isObject(node)) return node;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "required") continue;
    result[key === "oneOf" ? "anyOf" : key] = withoutRequired(value);
  }
  return result;
}

/** JSON Schema (draft 2020-12) of tandem.yaml as written, for editors and `tandem schema`. */
export function configJsonSchema(): JsonObject {
  const schema = z.toJSONSchema(fileSchema, { io: "input", target: "draft-2020-12" }) as JsonObject;
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
  return schema;
}
