/**
 * JSON schemas shared by the routes. Bodies and query strings are strict: unknown properties are
 * rejected (400), types are not coerced, strings are bounded.
 */

export const NAME = {
  type: "string",
  minLength: 1,
  maxLength: 200,
  pattern: "^[A-Za-z0-9][A-Za-z0-9._@/:+-]*$",
} as const;
export const TEXT = { type: "string", maxLength: 2000 } as const;
export const SERVICE_VERSION = {
  type: "string",
  minLength: 3,
  maxLength: 300,
  pattern: "^[^@\\s]+@[^@\\s]+$",
} as const;
export const COUNT = { type: "string", pattern: "^[0-9]{1,4}$" } as const;
export const SEQ = { type: "string", pattern: "^[0-9]{1,15}$" } as const;

export function strictObject(properties: Record<string, unknown>, required: string[] = []) {
  // OpenAPI 3.0 forbids an empty `required` list: it is left out when nothing is required.
  return {
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  } as const;
}

export const ID_PARAMS = strictObject(
  { id: { type: "string", minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9._-]+$" } },
  ["id"],
);

export const ERROR = strictObject(
  {
    error: strictObject({ code: { type: "string" }, message: { type: "string" }, hint: { type: "string" } }, [
      "code",
      "message",
    ]),
  },
  ["error"],
);

/** An object whose declared fields are typed and whose other fields pass through as they are. */
export function openObject(properties: Record<string, unknown>, required: string[] = []) {
  return {
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: true,
  } as const;
}

export const RELEASE = openObject(
  {
    id: { type: "string" },
    project: { type: "string" },
    environment: { type: "string" },
    status: { type: "string" },
    revision: { type: "integer" },
    createdAt: { type: "number" },
    updatedAt: { type: "number" },
    createdBy: { type: "string" },
    rollouts: {
      type: "array",
      items: openObject({
        service: { type: "string" },
        version: { type: "string" },
        status: { type: "string" },
      }),
    },
  },
  ["id", "environment", "status", "rollouts"],
);

export const EVENT = openObject(
  {
    seq: { type: "integer" },
    at: { type: "number" },
    releaseId: { type: "string" },
    type: { type: "string" },
    severity: { type: "string" },
    message: { type: "string" },
  },
  ["at", "releaseId", "type", "message"],
);

export const COMMAND = openObject(
  {
    id: { type: "string" },
    releaseId: { type: "string" },
    type: { type: "string" },
    actor: { type: "string" },
  },
  ["id", "releaseId", "type", "actor"],
);

export const TOKEN = openObject(
  {
    id: { type: "string" },
    name: { type: "string" },
    role: { type: "string" },
    actor: { type: "string" },
    environments: { type: "array", items: { type: "string" } },
    createdAt: { type: "number" },
    expiresAt: { type: "number" },
    revokedAt: { type: "number" },
  },
  ["id", "name", "role", "environments"],
);

export const ANY_OBJECT = { type: "object", additionalProperties: true } as const;
export const ANY_ARRAY = { type: "array", items: ANY_OBJECT } as const;

/** Responses of a route: `ok` for 200, and the error shape for every 4xx/5xx. */
export function responses(ok: unknown, okStatus = 200) {
  return { [okStatus]: ok, "4xx": ERROR, "5xx": ERROR };
}
