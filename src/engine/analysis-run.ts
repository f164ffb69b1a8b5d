import { judgeMetric } from "../analysis/judge-metric.js";
import { BuiltinProvider, snapshotOf } from "../analysis/providers/builtin.js";
import { createProvider } from "../analysis/providers/index.js";
import type { ProviderConfig } from "../analysis/providers/types.js";
import { assessRun, tallyRecord } from "../analysis/run.js";
import type { Measurement, MetricProvider } from "../analysis/types.js";
import { interpolateEnv } from "../config/interpolate.js";
import { redactSecrets } from "../config/redact.js";
import {
  ANALYSIS_HISTORY_LIMIT,
  type AnalysisMetricSpec,
  type AnalysisRunState,
  type AnalysisSpec,
  type BuiltinProviderConfig,
  type MetricRecord,
} from "../core/analysis.js";
import type { RolloutState } from "../core/types.js";
import type { PassContext } from "./pass-context.js";
import type { ServiceRuntime } from "./runtime.js";

const RESULT_EVENTS = {
  successful: { type: "analysis.succeeded", severity: "info" },
  failed: { type: "analysis.failed", severity: "error" },
  inconclusive: { type: "analysis.inconclusive", severity: "warning" },
  error: { type: "analysis.error", severity: "error" },
} as const;

function label(spec: AnalysisSpec, kind: AnalysisRunState["kind"]): string {
  return `${kind === "background" ? "background analysis" : "analysis"} ${spec.templates.join(", ")}`;
}

function usesBuiltin(spec: AnalysisSpec): boolean {
  return spec.metrics.some((m) => m.provider.type === "builtin");
}

function versions(rollout: RolloutState): string[] {
  return rollout.stableVersion ? [rollout.version, rollout.stableVersion] : [rollout.version];
}

/** Starts a run: keeps the router's counters as they are now, so measurements are what follows. */
export async function startRun(
  spec: AnalysisSpec,
  kind: AnalysisRunState["kind"],
  rollout: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<AnalysisRunState> {
  let statsAtStart: AnalysisRunState["statsAtStart"];
  if (usesBuiltin(spec)) {
    statsAtStart = snapshotOf(await runtime.router.stats(ctx.signal).catch(() => ({})), versions(rollout));
  }
  ctx.emit({
    type: "analysis.started",
    service: rollout.service,
    message: `${rollout.service}: ${label(spec, kind)} started: ${spec.metrics.map((m) => m.name).join(", ")} every ${spec.interval / 1000}s${spec.dryRun ? " (dry run)" : ""}`,
    data: {
      kind,
      templates: spec.templates,
      metrics: spec.metrics.map((m) => m.name),
      interval: spec.interval,
    },
  });
  return {
    spec,
    kind,
    startedAt: ctx.now,
    tallies: {},
    history: [],
    ...(statsAtStart ? { statsAtStart } : {}),
    phase: "running",
  };
}

function providerFor(
  metric: AnalysisMetricSpec,
  run: AnalysisRunState,
  runtime: ServiceRuntime,
  env: NodeJS.ProcessEnv,
): MetricProvider {
  if (metric.provider.type === "builtin") {
    return new BuiltinProvider(metric.provider as BuiltinProviderConfig, {
      stats: (signal) => runtime.router.stats(signal),
      start: run.statsAtStart ?? {},
    });
  }
  // The stored spec holds `${secret:X}` placeholders, never secrets: the provider gets the values.
  const { value: config, problems } = interpolateEnv(metric.provider, env);
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join("; "));
  return createProvider(config as unknown as ProviderConfig, {
    instancePids: async (_service, version) =>
      (await runtime.target.list(version)).flatMap((e) => (e.pid === undefined ? [] : [e.pid])),
  });
}

async function measure(
  metric: AnalysisMetricSpec,
  run: AnalysisRunState,
  rollout: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<Measurement> {
  try {
    return await providerFor(metric, run, runtime, ctx.env).measure({
      project: ctx.release.project,
      environment: ctx.release.environment,
      service: rollout.service,
      canaryVersion: rollout.version,
      ...(rollout.stableVersion ? { baselineVersion: rollout.stableVersion } : {}),
      startedAt: run.startedAt,
      now: ctx.now,
      windowMs: run.spec.interval,
      signal: ctx.signal,
    });
  } catch (error) {
    return { at: ctx.now, error: (error as Error).message };
  }
}

function shown(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "no data";
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/**
 * One pass of a run: when an interval has passed since the last look (from stored times, so a restart
 * neither repeats nor skips a look), measures every metric, judges it, records it and decides the run.
 */
export async function advanceRun(
  run: AnalysisRunState,
  rollout: RolloutState,
  runtime: ServiceRuntime,
  ctx: PassContext,
): Promise<AnalysisRunState> {
  if (run.phase !== "running") return run;
  if (ctx.now < (run.lastMeasuredAt ?? run.startedAt) + run.spec.interval) return run;
  const tallies = { ...run.tallies };
  const records: MetricRecord[] = [];
  const judgeState = { ...run.judgeState };
  for (const metric of run.spec.metrics) {
    const measurement = await measure(metric, run, rollout, runtime, ctx);
    const { state, ...verdict } = judgeMetric(metric, measurement, judgeState[metric.name]);
    if (state) judgeState[metric.name] = state;
    const record: MetricRecord = {
      metric: metric.name,
      at: ctx.now,
      ...(measurement.value === undefined || Number.isNaN(measurement.value)
        ? {}
        : { value: measurement.value }),
      verdict: verdict.verdict,
      reason: redactSecrets(verdict.reason),
      ...(verdict.detail ? { detail: verdict.detail } : {}),
    };
    records.push(record);
    tallies[metric.name] = tallyRecord(tallies[metric.name], record);
    ctx.emit({
      type: "analysis.measured",
      severity: verdict.verdict === "failed" || verdict.verdict === "error" ? "warning" : "info",
      service: rollout.service,
      message: `${rollout.service}: ${metric.name} = ${shown(measurement.value)}: ${verdict.verdict} (${verdict.reason})`,
      data: {
        kind: run.kind,
        metric: metric.name,
        value: record.value ?? null,
        verdict: verdict.verdict,
        reason: verdict.reason,
        ...(verdict.detail ? { detail: verdict.detail } : {}),
        ...(measurement.canary
          ? { canary: { requests: measurement.canary.requests, errors: measurement.canary.errors } }
          : {}),
        ...(measurement.baseline
          ? { baseline: { requests: measurement.baseline.requests, errors: measurement.baseline.errors } }
          : {}),
      },
    });
  }
  const assessment = assessRun(run.spec, tallies, run.kind);
  const next: AnalysisRunState = {
    ...run,
    lastMeasuredAt: ctx.now,
    tallies,
    ...(Object.keys(judgeState).length > 0 ? { judgeState } : {}),
    history: [...run.history, ...records].slice(-ANALYSIS_HISTORY_LIMIT),
    phase: assessment.phase,
    reason: assessment.reason,
  };
  if (assessment.phase !== "running") {
    const event = RESULT_EVENTS[assessment.phase];
    const decisive = assessment.metric ? tallies[assessment.metric]?.last : undefined;
    ctx.emit({
      type: event.type,
      severity: event.severity,
      service: rollout.service,
      message: `${rollout.service}: ${label(run.spec, run.kind)} ${assessment.phase}: ${assessment.reason}`,
      data: {
        kind: run.kind,
        phase: assessment.phase,
        reason: assessment.reason,
        ...(assessment.metric ? { metric: assessment.metric } : {}),
        ...(decisive ? { value: decisive.value ?? null, detail: decisive.detail ?? {} } : {}),
        ...(assessment.wouldBe ? { wouldBe: assessment.wouldBe } : {}),
      },
    });
  }
  return next;
}

/** Every comparison metric of the run decided "not worse" (what `pause: { auto: true }` waits for). */
export function comparisonsPassed(run: AnalysisRunState | undefined): boolean {
  if (!run) return false;
  const compared = run.spec.metrics.filter((m) => m.compare);
  return compared.length > 0 && compared.every((m) => run.tallies[m.name]?.last?.verdict === "successful");
}
