import { z } from "zod";
import type { CanaryStepConfig, StrategyConfig } from "../core/config.js";
import { analysisRefSchema } from "./schema-analysis.js";
import { amount, duration, NAME_PATTERN, strictObject, unlessMissing } from "./schema-primitives.js";
import { approvalSchema, hookSchema } from "./schema-release.js";

const progressDeadline = duration.prefault("5m");

const weight = z
  .number({ error: unlessMissing("setWeight is a percentage from 0 to 100") })
  .min(0, { error: "setWeight must be between 0 and 100" })
  .max(100, { error: "setWeight must be between 0 and 100" });

/**
 * `pause: 30s`, `pause: { duration: 30s }`, or `pause: {}` / `pause:` to wait until resumed;
 * `pause: { duration: 10m, auto: true }` ends early once the background analysis's comparisons say
 * "not worse"; `pause: auto` waits for that alone (the service's pauseTimeout bounds it).
 */
const pause = z
  .union(
    [
      z.literal("auto"),
      duration,
      strictObject({
        duration: duration.optional(),
        auto: z
          .boolean()
          .optional()
          .meta({ description: "End early once the background analysis's comparisons say not worse" }),
      }),
      z.null(),
    ],
    {
      error: unlessMissing(
        'expected a duration ("30s"), { duration: 30s }, { duration: 10m, auto: true }, auto, or {} to wait until resumed',
      ),
    },
  )
  .superRefine((input, ctx) => {
    if (typeof input === "object" && input?.auto && input.duration === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["auto"],
        message: "auto needs a duration (the longest the pause may last), or write pause: auto",
      });
  })
  .transform((input): { duration?: number; auto?: boolean } => {
    if (input === "auto") return { auto: true };
    if (typeof input === "number") return { duration: input };
    if (input?.duration === undefined) return {};
    return input.auto ? { duration: input.duration, auto: true } : { duration: input.duration };
  });

const STEP_KINDS = ["setWeight", "pause", "approval", "hook", "analysis"] as const;

const canaryStep = strictObject(
  {
    name: z
      .string()
      .regex(NAME_PATTERN, { error: "a step name uses letters, digits, dashes, dots and underscores" })
      .optional()
      .meta({ description: "Lets another service wait for this step: dependsOn: [{ service, step }]" }),
    setWeight: weight.optional(),
    pause: pause.optional(),
    approval: approvalSchema.optional(),
    hook: hookSchema.optional(),
    analysis: analysisRefSchema.optional(),
  },
  "step",
)
  .meta({
    description:
      "One step: { setWeight: 25 }, { pause: 5m }, { approval: { required: 1 } }, { hook: { command: [...] } } or { analysis: NAME }, optionally with a name",
  })
  .superRefine((step, ctx) => {
    const kinds = STEP_KINDS.filter((kind) => kind in step);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `a step has exactly one of setWeight, pause, approval, hook, analysis (plus an optional name); found ${kinds.length === 0 ? "none" : kinds.join(", ")}`,
      });
    }
  })
  .transform((step): CanaryStepConfig => {
    const name = step.name === undefined ? {} : { name: step.name };
    if (step.setWeight !== undefined) return { setWeight: step.setWeight, ...name };
    if (step.approval !== undefined) return { approval: step.approval, ...name };
    if (step.hook !== undefined) return { hook: step.hook, ...name };
    if (step.analysis !== undefined) return { analysis: step.analysis, ...name };
    return { pause: step.pause ?? {}, ...name };
  });

export const DEFAULT_CANARY_STEPS = [
  { setWeight: 5 },
  { pause: "5m" },
  { setWeight: 25 },
  { pause: "5m" },
  { setWeight: 50 },
  { pause: "5m" },
];

const canary = strictObject({
  steps: z
    .array(canaryStep, {
      error: unlessMissing("expected a list of steps, e.g. [{ setWeight: 10 }, { pause: 1m }]"),
    })
    .min(1, { error: "a canary needs at least one step" })
    .prefault(DEFAULT_CANARY_STEPS),
  progressDeadline,
  analysis: analysisRefSchema
    .optional()
    .meta({ description: "Background analysis: runs from the first setWeight to the end of the rollout" }),
});

const blueGreen = strictObject({
  autoPromote: z
    .union([duration, z.literal(false)], {
      error: unlessMissing(
        'expected a duration (e.g. "1m") after which to switch, or false to wait for `tandem resume`',
      ),
    })
    .prefault(false)
    .transform((value) => (value === false ? null : value)),
  scaleDownDelay: duration.prefault("30s"),
  progressDeadline,
});

const rolling = strictObject({
  batchSize: amount
    .refine((value) => value.value > 0, { error: "batchSize must be at least 1 (or more than 0%)" })
    .prefault(1),
  maxSurge: amount.prefault(1),
  maxUnavailable: amount.prefault(0),
  pauseBetweenBatches: duration.prefault(0),
  progressDeadline,
}).superRefine((config, ctx) => {
  if (config.maxSurge.value === 0 && config.maxUnavailable.value === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["maxSurge"],
      message:
        "maxSurge and maxUnavailable are both 0, so no instance could ever be replaced; set maxSurge: 1 or maxUnavailable: 1",
    });
  }
});

const recreate = strictObject({ progressDeadline });

export const strategySchema = strictObject(
  {
    canary: canary.optional(),
    blueGreen: blueGreen.optional(),
    rolling: rolling.optional(),
    recreate: recreate.optional(),
  },
  "strategy",
)
  .meta({
    minProperties: 1,
    maxProperties: 1,
    description: "Exactly one of canary, blueGreen, rolling, recreate",
  })
  .superRefine((strategy, ctx) => {
    const chosen = Object.keys(strategy);
    if (chosen.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `choose exactly one strategy (canary, blueGreen, rolling or recreate); found ${chosen.length === 0 ? "none" : chosen.join(", ")}`,
      });
    }
  })
  .transform((strategy): StrategyConfig => {
    if (strategy.canary) {
      const { analysis, ...canary } = strategy.canary;
      return analysis === undefined ? { type: "canary", ...canary } : { type: "canary", ...canary, analysis };
    }
    if (strategy.blueGreen) return { type: "blueGreen", ...strategy.blueGreen };
    if (strategy.recreate) return { type: "recreate", ...strategy.recreate };
    return { type: "rolling", ...(strategy.rolling ?? rolling.parse({})) };
  });
