import { z } from "zod";
import type { ApprovalConfig, FreezeWindow, HookConfig } from "../core/config.js";
import {
  duration,
  NAME_PATTERN,
  nonEmptyString,
  strictObject,
  stringMap,
  unlessMissing,
} from "./schema-primitives.js";

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
  const program = command[0]!.split(/[\\/]/).pop()!.split(/\s/)[0]!;
  return {
    name: hook.name ?? program,
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

const person = z.string().min(1, { error: "must not be empty" });

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
    if (approval.approvers.length > 0 && approval.required > approval.approvers.length) {
      ctx.addIssue({
        code: "custom",
        path: ["required"],
        message: `${approval.required} approvals required but only ${approval.approvers.length} approver(s) listed; the gate could never open`,
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

const instant = z
  .union([z.string()], {
    error: unlessMissing('expected a date and time, e.g. "2026-12-24T00:00:00Z"'),
  })
  .transform((input, ctx) => {
    const ms = Date.parse(input);
    if (Number.isNaN(ms)) {
      ctx.issues.push({
        code: "custom",
        message: `invalid date ${JSON.stringify(String(input))}; write an ISO 8601 date and time, e.g. "2026-12-24T00:00:00Z"`,
        input,
      });
      return z.NEVER;
    }
    return ms;
  });

const freezeObject = strictObject(
  {
    name: z.string().min(1).optional(),
    reason: z.string().optional(),
    from: instant.optional(),
    to: instant.optional(),
    schedule: nonEmptyString
      .optional()
      .meta({ description: 'cron expression of when the freeze starts, e.g. "0 18 * * 5"' }),
    duration: duration.optional(),
    timezone: nonEmptyString.default("UTC"),
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
  if (period && (window.from === undefined || window.to === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [window.from === undefined ? "from" : "to"],
      message: "missing required field",
    });
  } else if (period && window.to! <= window.from!) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "the freeze ends before it starts" });
  }
  if (recurring && (window.schedule === undefined || window.duration === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [window.schedule === undefined ? "schedule" : "duration"],
      message: "missing required field",
    });
  }
});

export const freezeSchema = freezeObject.transform((window): FreezeWindow => {
  const name =
    window.name ??
    (window.schedule !== undefined
      ? `${window.schedule} (${window.timezone})`
      : `${new Date(window.from!).toISOString()} to ${new Date(window.to!).toISOString()}`);
  const base = { name, ...(window.reason === undefined ? {} : { reason: window.reason }) };
  if (window.schedule !== undefined) {
    return {
      ...base,
      type: "schedule",
      schedule: window.schedule,
      duration: window.duration!,
      timezone: window.timezone,
    };
  }
  return { ...base, type: "period", from: window.from!, to: window.to! };
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

export const environmentSchema = z
  .union(
    [
      strictObject(
        {
          after: z.string().regex(NAME_PATTERN, { error: "expected an environment name" }).optional(),
          approval: approvalSchema.optional(),
          freeze: z
            .array(freezeSchema, { error: unlessMissing("expected a list of freeze windows") })
            .default([]),
          hooks: hooksSchema,
          services: z
            .record(serviceName, z.record(z.string(), z.unknown()), {
              error: unlessMissing("expected a map of service names to the fields they change here"),
            })
            .default({})
            .meta({ description: "Per-environment overrides of any service field, merged into the service" }),
        },
        "environment field",
      ),
      z.null(),
    ],
    { error: unlessMissing("expected an environment object, e.g. {}") },
  )
  .transform((environment) => environment ?? { freeze: [], hooks: { pre: [], post: [] }, services: {} });
