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

const STRING = { type: "string" } as const;
const NUMBER = { type: "number" } as const;
const INTEGER = { type: "integer" } as const;
const STRINGS = { type: "array", items: STRING } as const;

export const STATUS = {
  type: "string",
  enum: [
    "pending",
    "awaiting_approval",
    "running",
    "paused",
    "succeeded",
    "failed",
    "rolled_back",
    "aborted",
  ],
} as const;
export const ROLE = { type: "string", enum: ["viewer", "deployer", "approver", "admin"] } as const;

/** An approval gate (a release's or a step's). */
export const GATE = openObject(
  {
    requestedBy: STRING,
    requestedAt: NUMBER,
    decisions: {
      type: "array",
      items: openObject(
        {
          actor: STRING,
          decision: { type: "string", enum: ["approve", "reject"] },
          comment: STRING,
          at: NUMBER,
        },
        ["actor", "decision", "at"],
      ),
    },
    outcome: { type: "string", enum: ["approved", "rejected"] },
    spec: openObject({ required: INTEGER }, ["required"]),
  },
  ["requestedBy", "requestedAt", "decisions", "spec"],
);

const INSTANCE_COUNT = openObject({ ready: INTEGER, total: INTEGER }, ["ready", "total"]);

/** One service's rollout in a release. Steps and analysis runs are objects as the engine keeps them. */
export const ROLLOUT = openObject(
  {
    service: STRING,
    version: STRING,
    stableVersion: { type: "string", nullable: true },
    status: STATUS,
    phase: STRING,
    steps: { type: "array", items: { type: "object", additionalProperties: true } },
    stepIndex: INTEGER,
    weight: NUMBER,
    pausedSince: NUMBER,
    pauseReason: STRING,
    reason: STRING,
    probeFailure: openObject({ probe: STRING, endpoint: STRING, message: STRING, at: NUMBER }, [
      "probe",
      "endpoint",
      "message",
      "at",
    ]),
    instances: openObject({ new: INSTANCE_COUNT, stable: INSTANCE_COUNT }, ["new", "stable"]),
    lastError: STRING,
    needs: { type: "array", items: openObject({ service: STRING, step: STRING }, ["service"]) },
    gate: GATE,
    analysis: { type: "object", additionalProperties: true },
    backgroundRun: { type: "object", additionalProperties: true },
    skipped: { type: "boolean" },
  },
  ["service", "version", "stableVersion", "status", "phase", "steps", "stepIndex", "weight"],
);

export const RELEASE = openObject(
  {
    id: STRING,
    project: STRING,
    environment: STRING,
    status: STATUS,
    revision: INTEGER,
    createdAt: NUMBER,
    updatedAt: NUMBER,
    finishedAt: NUMBER,
    createdBy: STRING,
    reason: STRING,
    rollouts: { type: "array", items: ROLLOUT },
    approval: GATE,
    promotedFrom: STRING,
  },
  ["id", "project", "environment", "status", "createdAt", "updatedAt", "createdBy", "rollouts"],
);

export const EVENT = openObject(
  {
    seq: INTEGER,
    at: NUMBER,
    releaseId: STRING,
    environment: STRING,
    service: STRING,
    type: STRING,
    severity: { type: "string", enum: ["info", "warning", "error"] },
    message: STRING,
    data: { type: "object", additionalProperties: true },
  },
  ["at", "releaseId", "environment", "type", "severity", "message"],
);

export const WHOAMI = strictObject(
  { name: STRING, actor: STRING, role: ROLE, environments: STRINGS, expiresAt: NUMBER },
  ["name", "actor", "role", "environments"],
);

export const REGISTRY = openObject(
  {
    project: STRING,
    environments: {
      type: "array",
      items: openObject(
        {
          environment: STRING,
          services: {
            type: "array",
            items: openObject(
              { service: STRING, version: { type: "string", nullable: true }, releaseId: STRING, at: NUMBER },
              ["service", "version"],
            ),
          },
          requirements: {
            type: "array",
            items: openObject(
              { consumer: STRING, requirement: STRING, range: STRING, satisfied: { type: "boolean" } },
              ["consumer", "requirement", "range", "satisfied"],
            ),
          },
        },
        ["environment", "services", "requirements"],
      ),
    },
  },
  ["project", "environments"],
);

export const WHERE_ENTRY = openObject(
  {
    environment: STRING,
    service: STRING,
    stable: openObject({ version: STRING, releaseId: STRING, at: NUMBER }, ["version"]),
    instances: {
      type: "array",
      items: openObject(
        { id: STRING, version: STRING, host: STRING, port: INTEGER, pid: INTEGER, startedAt: NUMBER },
        ["id", "version", "host", "port", "startedAt"],
      ),
    },
    router: openObject({ pid: INTEGER, listenHost: STRING, listenPort: INTEGER, startedAt: NUMBER }, [
      "pid",
      "listenHost",
      "listenPort",
      "startedAt",
    ]),
    routerProblem: STRING,
  },
  ["environment", "service", "instances"],
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
