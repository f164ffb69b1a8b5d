import { z } from "zod";
import { parseCondition } from "../analysis/judges/index.js";
import { createProvider } from "../analysis/providers/index.js";
import type { ProviderConfig } from "../analysis/providers/types.js";
import type {
  AnalysisMetricSpec,
  AnalysisProviderConfig,
  AnalysisRef,
  AnalysisTemplateConfig,
} from "../core/analysis.js";
import { TandemError } from "../core/errors.js";
import {
  duration,
  NAME_PATTERN,
  strictObject,
  unknownTypeError,
  unlessMissing,
} from "./schema-primitives.js";

export const ANALYSIS_PROVIDER_TYPES = ["builtin", "prometheus", "web", "job", "resources"] as const;

const templateName = z.string().regex(NAME_PATTERN, {
  error: "an analysis template name uses letters, digits, dashes, dots and underscores",
});

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;
const QUANTILE = /^p(\d+(?:\.\d+)?)$/;

/** `20%` (0.2) or a fraction (0.2). */
const fraction = z
  .union([z.number(), z.string()], {
    error: unlessMissing('expected a percentage such as "20%" or a fraction such as 0.2'),
  })
  .transform((input, ctx) => {
    const match = typeof input === "string" ? PERCENT.exec(input) : undefined;
    const value = typeof input === "number" ? input : match ? Number(match[1]) / 100 : Number.NaN;
    if (!(value >= 0 && Number.isFinite(value))) {
      ctx.issues.push({
        code: "custom",
        message: `invalid percentage ${JSON.stringify(input)}; write e.g. "20%" or 0.2`,
        input,
      });
      return z.NEVER;
    }
    return value;
  });

/** `0.99` or `p99`. */
const quantile = z
  .union([z.number(), z.string()], { error: unlessMissing('expected a quantile such as 0.99 or "p99"') })
  .transform((input, ctx) => {
    const match = typeof input === "string" ? QUANTILE.exec(input.trim()) : undefined;
    const value = typeof input === "number" ? input : match ? Number(match[1]) / 100 : Number.NaN;
    if (!(value > 0 && value < 1)) {
      ctx.issues.push({
        code: "custom",
        message: `invalid quantile ${JSON.stringify(input)}; write e.g. p99, p90, p50 or 0.99`,
        input,
      });
      return z.NEVER;
    }
    return value;
  });

const builtinProvider = strictObject({
  type: z.literal("builtin"),
  metric: z.enum(["error_rate", "request_count", "latency"], {
    error: 'expected "error_rate", "request_count" or "latency"',
  }),
  quantile: quantile
    .prefault(0.99)
    .meta({ description: "latency: the quantile reported as the value (p50, p90, p99)" }),
});

/** The other providers' fields are checked by their own factory (src/analysis/providers). */
const otherProvider = (type: "prometheus" | "web" | "job" | "resources") =>
  z.looseObject({ type: z.literal(type) }).superRefine((config, ctx) => {
    try {
      createProvider(config as unknown as ProviderConfig);
    } catch (error) {
      if (!(error instanceof TandemError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message });
    }
  });

const providerSchema = z.discriminatedUnion(
  "type",
  [
    builtinProvider,
    otherProvider("prometheus"),
    otherProvider("web"),
    otherProvider("job"),
    otherProvider("resources"),
  ],
  { error: unknownTypeError("metric provider", ANALYSIS_PROVIDER_TYPES) },
);

const condition = z.string().superRefine((text, ctx) => {
  try {
    parseCondition(text);
  } catch (error) {
    if (!(error instanceof TandemError)) throw error;
    ctx.addIssue({ code: "custom", message: `${error.message}${error.hint ? `; ${error.hint}` : ""}` });
  }
});

/** `maxIncrease: 20%` (relative), or `{ relative: 20%, absolute: 1% }` (absolute: percentage points of an error rate, or a duration for latency). */
const maxIncrease = z.union(
  [
    fraction.transform((relative) => ({ relative, absoluteText: undefined as unknown })),
    strictObject({
      relative: fraction.optional(),
      absolute: z.union([z.number(), z.string()]).optional(),
    }).transform((m) => ({ relative: m.relative, absoluteText: m.absolute as unknown })),
  ],
  {
    error: unlessMissing(
      'expected "20%" (relative), or { relative: 20%, absolute: 1% } (absolute: percentage points, or a duration for latency)',
    ),
  },
);

const metricSchema = strictObject(
  {
    name: templateName,
    provider: providerSchema,
    successCondition: condition.optional(),
    failureCondition: condition.optional(),
    compare: z
      .literal("baseline", { error: 'the only comparison is "baseline" (the stable version)' })
      .optional(),
    maxIncrease: maxIncrease.optional(),
    rollbackIfWorse: z.boolean().optional().meta({
      description: "compare: baseline: also roll back as soon as the new version is shown worse at all",
    }),
    maxErrorRate: fraction.optional().meta({
      description:
        "Sequential test of an error-rate objective (builtin error_rate): fails once shown above it",
    }),
    confidence: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .meta({ description: "Comparison confidence; default 0.98 (alpha 0.02)" }),
    alpha: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .meta({ description: "Comparison false-verdict bound; default 0.02" }),
  },
  "metric field",
)
  .superRefine((m, ctx) => {
    if (m.maxErrorRate !== undefined) {
      for (const field of ["compare", "successCondition", "failureCondition", "maxIncrease"] as const)
        if (m[field] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: `maxErrorRate is a test of its own; drop ${field} (or make it a separate metric)`,
          });
      if (m.provider.type !== "builtin" || m.provider.metric !== "error_rate")
        ctx.addIssue({
          code: "custom",
          path: ["maxErrorRate"],
          message: "maxErrorRate needs provider { type: builtin, metric: error_rate }",
        });
      if (!(m.maxErrorRate > 0 && m.maxErrorRate < 1))
        ctx.addIssue({
          code: "custom",
          path: ["maxErrorRate"],
          message: "maxErrorRate must be between 0 and 100%",
        });
      if (m.confidence !== undefined && m.alpha !== undefined)
        ctx.addIssue({ code: "custom", path: ["alpha"], message: "give confidence or alpha, not both" });
      return;
    }
    if (m.compare === undefined && m.successCondition === undefined && m.failureCondition === undefined)
      ctx.addIssue({
        code: "custom",
        message: "a metric needs a successCondition, a failureCondition, compare: baseline, or maxErrorRate",
      });
    if (m.compare === undefined) {
      for (const field of ["maxIncrease", "confidence", "alpha", "rollbackIfWorse"] as const)
        if (m[field] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: `${field} applies to compare: baseline only`,
          });
      return;
    }
    if (m.provider.type !== "builtin" || m.provider.metric === "request_count")
      ctx.addIssue({
        code: "custom",
        path: ["compare"],
        message:
          "compare: baseline needs provider { type: builtin, metric: error_rate } or { type: builtin, metric: latency }",
      });
    if (m.confidence !== undefined && m.alpha !== undefined)
      ctx.addIssue({ code: "custom", path: ["alpha"], message: "give confidence or alpha, not both" });
    const absolute = m.maxIncrease?.absoluteText;
    if (absolute !== undefined && absoluteOf(m.provider, absolute) === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["maxIncrease", "absolute"],
        message: `invalid absolute increase ${JSON.stringify(absolute)}; for error_rate write percentage points ("1%" or 0.01), for latency a duration ("50ms")`,
      });
  })
  .transform((m): AnalysisMetricSpec => {
    const provider = m.provider as AnalysisProviderConfig;
    const spec: AnalysisMetricSpec = { name: m.name, provider };
    if (m.successCondition !== undefined) spec.successCondition = m.successCondition;
    if (m.failureCondition !== undefined) spec.failureCondition = m.failureCondition;
    if (m.maxErrorRate !== undefined) {
      spec.sloTest = {
        maxErrorRate: m.maxErrorRate,
        alpha: m.alpha ?? (m.confidence === undefined ? 0.02 : 1 - m.confidence),
      };
    }
    if (m.compare && m.provider.type === "builtin" && m.provider.metric !== "request_count") {
      const absolute =
        m.maxIncrease?.absoluteText === undefined
          ? undefined
          : absoluteOf(m.provider, m.maxIncrease.absoluteText);
      spec.compare = {
        metric: m.provider.metric,
        maxIncrease: {
          ...(m.maxIncrease?.relative === undefined ? {} : { relative: m.maxIncrease.relative }),
          ...(absolute === undefined ? {} : { absolute }),
        },
        alpha: m.alpha ?? (m.confidence === undefined ? 0.02 : 1 - m.confidence),
        ...(m.provider.metric === "latency" ? { quantile: m.provider.quantile } : {}),
        ...(m.rollbackIfWorse ? { rollbackIfWorse: true } : {}),
      };
    }
    return spec;
  });

function absoluteOf(provider: { type: string; metric?: string }, input: unknown): number | undefined {
  if (provider.metric === "latency") {
    const parsed = duration.safeParse(input);
    return parsed.success ? parsed.data : undefined;
  }
  const parsed = fraction.safeParse(input);
  return parsed.success && parsed.data < 1 ? parsed.data : undefined;
}

const settings = {
  interval: duration.prefault("30s").meta({ description: "Time between measurements. Default 30s" }),
  count: z
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: "Measurements after which the run succeeds" }),
  failureLimit: z.number().int().min(0).default(0),
  consecutiveSuccessLimit: z.number().int().min(0).default(0),
  inconclusiveLimit: z.number().int().min(0).default(0),
  consecutiveErrorLimit: z.number().int().min(0).default(4),
  dryRun: z.boolean().default(false),
  onInconclusive: z.enum(["pause", "rollback"], { error: 'expected "pause" or "rollback"' }).default("pause"),
};

export const analysisTemplateSchema = strictObject(
  {
    ...settings,
    metrics: z
      .array(metricSchema, { error: unlessMissing("expected a list of metrics") })
      .min(1, { error: "an analysis needs at least one metric" }),
  },
  "analysis field",
)
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.metrics.forEach((m, i) => {
      if (seen.has(m.name))
        ctx.addIssue({
          code: "custom",
          path: ["metrics", i, "name"],
          message: `metric "${m.name}" is listed twice`,
        });
      seen.add(m.name);
    });
  })
  .transform((t): AnalysisTemplateConfig => {
    const { count, ...rest } = t;
    return count === undefined ? rest : { ...rest, count };
  });

export const analysisTemplatesSchema = z.record(templateName, analysisTemplateSchema).default({});

/** `analysis: NAME` or `analysis: { templates: [NAME...], count: 5, dryRun: true, ... }`. */
export const analysisRefSchema = z
  .union(
    [
      templateName,
      strictObject(
        {
          templates: z.array(templateName).min(1, { error: "name at least one analysis template" }),
          interval: duration.optional(),
          count: settings.count,
          failureLimit: z.number().int().min(0).optional(),
          consecutiveSuccessLimit: z.number().int().min(0).optional(),
          inconclusiveLimit: z.number().int().min(0).optional(),
          consecutiveErrorLimit: z.number().int().min(0).optional(),
          dryRun: z.boolean().optional(),
          onInconclusive: z.enum(["pause", "rollback"]).optional(),
        },
        "analysis field",
      ),
    ],
    {
      error: unlessMissing(
        "expected the name of an analysis template, or { templates: [NAME], ...overrides }",
      ),
    },
  )
  .transform((input): AnalysisRef => {
    if (typeof input === "string") return { templates: [input], overrides: {} };
    const { templates, ...rest } = input;
    const overrides = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    return { templates, overrides };
  });
