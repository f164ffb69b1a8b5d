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
export const ANY_OBJECT = { type: "object", additionalProperties: true } as const;

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
const GATE_SCHEMA = openObject(
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

const BOOLEAN = { type: "boolean" } as const;
/** A number the engine may have stored as null (JSON has no Infinity): kept null, not coerced to 0. */
const NUMBER_OR_NULL = { type: "number", nullable: true } as const;
const STRING_MAP = { type: "object", additionalProperties: STRING } as const;

function enumOf(...values: string[]) {
  return { type: "string", enum: values } as const;
}

/** A record of values of one schema (`Record<string, T>`). */
function mapOf(value: unknown) {
  return { type: "object", additionalProperties: value } as const;
}

/** An AnalysisSpec (src/core/analysis.ts): resolved from templates when the rollout was created. */
const ANALYSIS_SPEC_SCHEMA = openObject(
  {
    templates: STRINGS,
    interval: NUMBER,
    count: NUMBER,
    failureLimit: NUMBER,
    consecutiveSuccessLimit: NUMBER,
    inconclusiveLimit: NUMBER,
    consecutiveErrorLimit: NUMBER,
    dryRun: BOOLEAN,
    onInconclusive: enumOf("pause", "rollback"),
    metrics: {
      type: "array",
      items: openObject(
        {
          name: STRING,
          // builtin, prometheus, web, job, resources…: each provider has fields of its own.
          provider: openObject({ type: STRING }, ["type"]),
          successCondition: STRING,
          failureCondition: STRING,
          compare: openObject(
            {
              metric: enumOf("error_rate", "latency"),
              maxIncrease: openObject({ relative: NUMBER, absolute: NUMBER }),
              alpha: NUMBER,
              quantile: NUMBER,
              rollbackIfWorse: BOOLEAN,
            },
            ["metric", "maxIncrease"],
          ),
          sloTest: openObject({ maxErrorRate: NUMBER, alpha: NUMBER }, ["maxErrorRate", "alpha"]),
        },
        ["name", "provider"],
      ),
    },
  },
  [
    "templates",
    "interval",
    "failureLimit",
    "consecutiveSuccessLimit",
    "inconclusiveLimit",
    "consecutiveErrorLimit",
    "dryRun",
    "onInconclusive",
    "metrics",
  ],
);

const VERDICT = enumOf("successful", "failed", "inconclusive", "error", "running");

/** One metric's look at one interval. */
const METRIC_RECORD = openObject(
  {
    metric: STRING,
    at: NUMBER,
    value: NUMBER_OR_NULL,
    verdict: VERDICT,
    reason: STRING,
    detail: mapOf(NUMBER_OR_NULL),
  },
  ["metric", "at", "verdict", "reason"],
);

const METRIC_TALLY = openObject(
  {
    measurements: INTEGER,
    successful: INTEGER,
    failed: INTEGER,
    inconclusive: INTEGER,
    errors: INTEGER,
    consecutiveSuccess: INTEGER,
    consecutiveErrors: INTEGER,
    last: METRIC_RECORD,
  },
  [
    "measurements",
    "successful",
    "failed",
    "inconclusive",
    "errors",
    "consecutiveSuccess",
    "consecutiveErrors",
  ],
);

/** An analysis run as the rollout keeps it (AnalysisRunState in src/core/analysis.ts). */
const ANALYSIS_SPEC = { $ref: "AnalysisSpec#" } as const;
const ANALYSIS_RUN_SCHEMA = openObject(
  {
    spec: ANALYSIS_SPEC,
    kind: enumOf("step", "background"),
    stepIndex: INTEGER,
    startedAt: NUMBER,
    lastMeasuredAt: NUMBER,
    tallies: mapOf(METRIC_TALLY),
    history: { type: "array", items: METRIC_RECORD },
    // The builtin router's statistics and the judges' memory: internal to the engine, passed as they are.
    statsAtStart: ANY_OBJECT,
    phase: enumOf("running", "successful", "failed", "inconclusive", "error"),
    reason: STRING,
    judgeState: ANY_OBJECT,
  },
  ["spec", "kind", "startedAt", "tallies", "history", "phase"],
);

const ANALYSIS_RUN = { $ref: "AnalysisRun#" } as const;
const GATE = { $ref: "Gate#" } as const;

/** Who must approve an `approval` step (ApprovalSpec in src/core/types.ts). */
export const APPROVAL_SPEC = openObject(
  {
    required: INTEGER,
    approvers: STRINGS,
    allowSelfApproval: BOOLEAN,
    timeout: NUMBER,
    onTimeout: enumOf("reject", "escalate"),
    escalateTo: STRINGS,
  },
  ["required", "approvers", "allowSelfApproval", "timeout", "onTimeout", "escalateTo"],
);

/** The command of a `hook` step (HookSpec in src/core/types.ts). */
export const HOOK_SPEC = openObject(
  { name: STRING, command: STRINGS, shell: BOOLEAN, timeout: NUMBER, cwd: STRING, env: STRING_MAP },
  ["name", "command", "shell", "timeout", "env"],
);

/** A step of one `type` (with the `name` every step may have). */
function step(type: string, properties: Record<string, unknown>, required: string[] = []) {
  return openObject({ type: enumOf(type), name: STRING, ...properties }, ["type", ...required]);
}

/** A step the engine executes (Step in src/core/types.ts): one of six, told apart by `type`. */
export const STEP = {
  oneOf: [
    step("scale", { track: enumOf("new", "stable"), replicas: INTEGER }, ["track", "replicas"]),
    step("setWeight", { weight: NUMBER }, ["weight"]),
    step("pause", { duration: NUMBER, reason: STRING, auto: BOOLEAN }),
    step("analysis", { analysis: ANALYSIS_SPEC }, ["analysis"]),
    step("approval", { approval: APPROVAL_SPEC }, ["approval"]),
    step("hook", { hook: HOOK_SPEC, stage: enumOf("pre", "step", "post") }, ["hook", "stage"]),
  ],
} as const;

/** One service's rollout in a release. */
const ROLLOUT_SCHEMA = openObject(
  {
    service: STRING,
    version: STRING,
    stableVersion: { type: "string", nullable: true },
    status: STATUS,
    phase: STRING,
    steps: { type: "array", items: STEP },
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
    analysis: ANALYSIS_RUN,
    backgroundAnalysis: ANALYSIS_SPEC,
    backgroundRun: ANALYSIS_RUN,
    skipped: { type: "boolean" },
  },
  ["service", "version", "stableVersion", "status", "phase", "steps", "stepIndex", "weight"],
);

const RELEASE_SCHEMA = openObject(
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
    rollouts: { type: "array", items: { $ref: "Rollout#" } },
    approval: GATE,
    promotedFrom: STRING,
  },
  ["id", "project", "environment", "status", "createdAt", "updatedAt", "createdBy", "rollouts"],
);

const EVENT_SCHEMA = openObject(
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

export const ANY_ARRAY = { type: "array", items: ANY_OBJECT } as const;

/** Responses of a route: `ok` for 200, and the error shape for every 4xx/5xx. */
export function responses(ok: unknown, okStatus = 200) {
  return { [okStatus]: ok, "4xx": ERROR, "5xx": ERROR };
}

/**
 * Schemas the routes share by reference (`app.addSchema` in server.ts): the OpenAPI document then
 * names each once under components.schemas, instead of inlining it in every route that returns it.
 */
export const SHARED_SCHEMAS = [
  { $id: "Gate", ...GATE_SCHEMA },
  { $id: "AnalysisSpec", ...ANALYSIS_SPEC_SCHEMA },
  { $id: "AnalysisRun", ...ANALYSIS_RUN_SCHEMA },
  { $id: "Rollout", ...ROLLOUT_SCHEMA },
  { $id: "Release", ...RELEASE_SCHEMA },
  { $id: "Event", ...EVENT_SCHEMA },
];
export const RELEASE = { $ref: "Release#" } as const;
export const EVENT = { $ref: "Event#" } as const;
