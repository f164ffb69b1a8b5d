import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { normalizeActor } from "../core/actor.js";
import type { ApprovalConfig, FreezeWindow, HookConfig } from "../core/config.js";
import { MISSING_FIELD } from "./issues.js";
import {
  duration,
  NAME_PATTERN,
  nonEmptyString,
  strictObject,
  stringMap,
  unlessMissing,
} from "./schema-primitives.js";
import { isValidTimeZone, parseWrittenDateTime, toInstant } from "./zoned-time.js";

/**
 * Schemas of what coordinates a release: hooks, approval gates, change freezes. Defaults are documented
 * on the types in src/core/types.ts and src/core/config.ts.
 */

const hookObject = strictObject(
  {
    name: z
      .string()
      .regex(NAME_PATTERN, { error: "a hook name uses letters, digits, dashes, dots and underscores" })
      .optional(),
    command: z.union(
      [z.array(nonEmptyString).min(1, { error: "must list at least the program to run" }), nonEmptyString],
      {
        error: unlessMissing(
          "expected a list of arguments, e.g. [npm, run, migrate] (or a string with shell: true)",
        ),
      },
    ),
    shell: z.boolean().default(false),
    timeout: duration.prefault("5m"),
    cwd: nonEmptyString.optional().meta({ description: "Working directory, relative to the config file" }),
    env: stringMap.default({}),
  },
  "hook field",
).superRefine((hook, ctx) => {
  if (typeof hook.command === "string" && !hook.shell) {
    ctx.addIssue({
      code: "custom",
      path: ["command"],
      message:
        "a command string needs a shell: write it as a list ([npm, run, migrate]) or add `shell: true`",
    });
  }
});

/** A hook: `{ command: [npm, run, migrate], timeout: 10m }`. */
export const hookSchema = hookObject.transform((hook): HookConfig => {
  const command = typeof hook.command === "string" ? [hook.command] : hook.command;
  // `./scripts/migrate.sh` -> migrate.sh; with a shell, the first word: `npm run migrate` -> npm.
  const program = hook.shell ? (command[0]!.trim().split(/\s+/)[0] ?? "") : command[0]!;
  return {
    name: hook.name ?? (program.split(/[\\/]/).pop() || "hook"),
    command,
    shell: hook.shell,
    timeout: hook.timeout,
    ...(hook.cwd === undefined ? {} : { cwd: hook.cwd }),
    env: hook.env,
  };
});

export const hooksSchema = strictObject(
  {
    pre: z.array(hookSchema, { error: unlessMissing("expected a list of hooks") }).default([]),
    post: z.array(hookSchema, { error: unlessMissing("expected a list of hooks") }).default([]),
  },
  "hooks field",
).prefault({});

/** A person, in the one normalised form actors are compared in (`Alice` is `alice`). */
const person = z
  .string()
  .transform(normalizeActor)
  .pipe(z.string().min(1, { error: "must not be empty" }));

export const approvalSchema = strictObject(
  {
    required: z
      .number()
      .int({ error: "required is a whole number" })
      .min(1, { error: "required must be at least 1" })
      .default(1),
    approvers: z.array(person).default([]),
    allowSelfApproval: z.boolean().default(false),
    timeout: duration.prefault("24h"),
    onTimeout: z.enum(["reject", "escalate"], { error: 'expected "reject" or "escalate"' }).default("reject"),
    escalateTo: z.array(person).default([]),
  },
  "approval field",
)
  .superRefine((approval, ctx) => {
    // Distinct people: `Alice` and `alice` are one approver.
    const people = new Set(approval.approvers).size;
    if (people > 0 && approval.required > people) {
      ctx.addIssue({
        code: "custom",
        path: ["required"],
        message: `${approval.required} approvals required but only ${people} approver(s) listed; the gate could never open`,
      });
    }
    if (approval.onTimeout === "escalate" && approval.escalateTo.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["escalateTo"],
        message: "onTimeout: escalate needs someone to escalate to: list them in escalateTo",
      });
    }
  })
  .transform((approval): ApprovalConfig => approval);

const DATE_HINT =
  'write an ISO 8601 date and time, e.g. "2026-12-24T18:00:00Z", "2026-12-24T18:00:00+01:00" or "2026-12-24 18:00" (in the window\'s timezone)';

/** Checked here, converted to an instant by the window (a time without offset is in its `timezone`). */
const instant = z
  .string({ error: unlessMissing(`expected a date and time; ${DATE_HINT}`) })
  .transform((input, ctx) => {
    const written = parseWrittenDateTime(input);
    if (written === undefined) {
      ctx.issues.push({
        code: "custom",
        message: `invalid date ${JSON.stringify(input)}; ${DATE_HINT}`,
        input,
      });
      return z.NEVER;
    }
    return written;
  })
  .meta({ description: "ISO 8601 date and time; without an offset, it is read in the window's timezone" });

const CRON_FIELDS = "minute hour day-of-month month day-of-week";

/** A standard cron expression (5 fields, or 6 with seconds first, or @daily...), checked by cron-parser. */
const cronExpression = nonEmptyString.superRefine((expression, ctx) => {
  const fields = expression.trim().split(/\s+/);
  const alias = fields.length === 1 && fields[0]!.startsWith("@");
  let problem: string | undefined;
  if (!alias && fields.length !== 5 && fields.length !== 6) {
    problem = `expected 5 fields (${CRON_FIELDS}), found ${fields.length}`;
  } else if (!alias && fields.some((field) => /(^|[^a-z])h([^a-z]|$)/i.test(field))) {
    problem = "the randomised H is not supported: a freeze must start at the same time on every machine";
  } else {
    try {
      CronExpressionParser.parse(expression, { currentDate: 0, tz: "UTC" });
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  if (problem !== undefined) {
    ctx.addIssue({
      code: "custom",
      message: `invalid cron expression ${JSON.stringify(expression)}: ${problem}; write ${CRON_FIELDS}, e.g. "0 18 * * 5" (Fridays at 18:00)`,
    });
  }
});

const timeZone = nonEmptyString.refine(isValidTimeZone, {
  error: (issue) =>
    `unknown time zone ${JSON.stringify(issue.input)}; write an IANA name, e.g. "Europe/Paris", "America/New_York" or "UTC"`,
});

const freezeObject = strictObject(
  {
    name: nonEmptyString.optional(),
    reason: z.string().optional(),
    from: instant.optional(),
    to: instant.optional(),
    schedule: cronExpression
      .optional()
      .meta({ description: 'cron expression of when the freeze starts, e.g. "0 18 * * 5"' }),
    duration: duration.optional().meta({ description: "How long each recurring freeze lasts" }),
    timezone: timeZone.optional().meta({
      description: "IANA time zone of schedule, and of from/to written without offset. Default UTC",
    }),
  },
  "freeze field",
).superRefine((window, ctx) => {
  const period = window.from !== undefined || window.to !== undefined;
  const recurring = window.schedule !== undefined || window.duration !== undefined;
  if (period === recurring) {
    ctx.addIssue({
      code: "custom",
      message: "a freeze is either a period ({ from, to }) or recurring ({ schedule: <cron>, duration })",
    });
    return;
  }
  for (const field of period ? (["from", "to"] as const) : (["schedule", "duration"] as const)) {
    if (window[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: MISSING_FIELD });
  }
  if (window.duration !== undefined && window.duration <= 0) {
    ctx.addIssue({ code: "custom", path: ["duration"], message: "a freeze lasts more than 0" });
  }
  if (window.from !== undefined && window.to !== undefined) {
    const zone = window.timezone ?? "UTC";
    if (toInstant(window.to, zone) <= toInstant(window.from, zone)) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "the freeze ends before it starts" });
    }
  }
});

export const freezeSchema = freezeObject.transform((window): FreezeWindow => {
  const timezone = window.timezone ?? "UTC";
  const base = { ...(window.reason === undefined ? {} : { reason: window.reason }) };
  if (window.schedule !== undefined) {
    return {
      name: window.name ?? `${window.schedule} (${timezone})`,
      ...base,
      type: "schedule",
      schedule: window.schedule,
      duration: window.duration!,
      timezone,
    };
  }
  const from = toInstant(window.from!, timezone);
  const to = toInstant(window.to!, timezone);
  const name = window.name ?? `${new Date(from).toISOString()} to ${new Date(to).toISOString()}`;
  return { name, ...base, type: "period", from, to };
});

const serviceName = z.string().regex(NAME_PATTERN, {
  error: "a service name uses letters, digits, dashes, dots and underscores",
});

/** `dependsOn: [api]` or `[{ service: api, step: half }]` (start once api finished its step named half). */
export const dependencySchema = z
  .union(
    [serviceName, strictObject({ service: serviceName, step: nonEmptyString.optional() }, "dependsOn field")],
    {
      error: unlessMissing("expected a service name, or { service: NAME, step: STEP-NAME }"),
    },
  )
  .transform((input) => (typeof input === "string" ? { service: input } : input));

const environmentObject = strictObject(
  {
    after: z
      .string()
      .regex(NAME_PATTERN, { error: "expected an environment name" })
      .optional()
      .meta({ description: "Only versions that succeeded in that environment may enter this one" }),
    approval: approvalSchema
      .optional()
      .meta({ description: "A gate every release into this environment waits at before anything starts" }),
    freeze: z
      .array(freezeSchema, { error: unlessMissing("expected a list of freeze windows") })
      .default([])
      .meta({
        description: "Change freezes: { from, to } periods or { schedule: <cron>, duration } windows",
      }),
    hooks: hooksSchema,
    services: z
      .record(serviceName, z.record(z.string(), z.unknown()), {
        error: unlessMissing("expected a map of service names to the fields they change here"),
      })
      .default({})
      .meta({ description: "Per-environment overrides of any service field, merged into the service" }),
  },
  "environment field",
);

/** `production: {...}`, or `production:` (null) for an environment with nothing of its own. */
export const environmentSchema = environmentObject
  .nullable()
  .transform((environment) => environment ?? environmentObject.parse({}));
