/**
 * Analysis as configured and as run (issue 4). A template (`analysis.NAME` in tandem.yaml) is resolved
 * into an AnalysisSpec when a rollout is created; the spec is stored in the step, so a restarted engine
 * runs the same analysis. Durations are milliseconds.
 */

/** The builtin router's per-version statistics, measured from the analysis start. */
export interface BuiltinProviderConfig {
  type: "builtin";
  metric: "error_rate" | "request_count" | "latency";
  /** Latency only: the quantile reported as the scalar value. Default 0.99. */
  quantile: number;
}

/** `builtin`, or any provider of src/analysis/providers (prometheus, web, job, resources). */
export type AnalysisProviderConfig = BuiltinProviderConfig | ({ type: string } & Record<string, unknown>);

export interface AnalysisMetricSpec {
  name: string;
  provider: AnalysisProviderConfig;
  /** Threshold conditions on the scalar value (`< 0.01`, `0.1..0.5`): Argo Rollouts' semantics. */
  successCondition?: string;
  failureCondition?: string;
  /** A sequential comparison with the stable version (builtin error_rate or latency). */
  compare?: {
    metric: "error_rate" | "latency";
    maxIncrease: { relative?: number; absolute?: number };
    alpha?: number;
    quantile?: number;
    /**
     * Also roll back as soon as the new version is shown worse at all (the conditional test, at
     * `alpha`), even within `maxIncrease`; `maxIncrease` still decides "not worse".
     */
    rollbackIfWorse?: boolean;
  };
  /**
   * An error-rate objective tested sequentially on the new version's traffic (builtin error_rate):
   * failed once its error rate is shown above `maxErrorRate`, anytime-valid at `alpha`.
   */
  sloTest?: { maxErrorRate: number; alpha: number };
}

export interface AnalysisSpec {
  /** The templates this came from, for people. */
  templates: string[];
  /** Time between measurements. Default 30s. */
  interval: number;
  /** Measurements after which the run succeeds (when nothing failed). Unset: no limit. */
  count?: number;
  /** Failed measurements tolerated; one more fails the run. Default 0. */
  failureLimit: number;
  /** Consecutive successful measurements after which the run succeeds; 0: not used. Default 0. */
  consecutiveSuccessLimit: number;
  /** Inconclusive measurements tolerated; one more makes the run inconclusive. Default 0. */
  inconclusiveLimit: number;
  /** Consecutive measurement errors tolerated; one more is an error (treated as failed). Default 4. */
  consecutiveErrorLimit: number;
  /** Measure and report, never fail. Default false. */
  dryRun: boolean;
  /** What an inconclusive run does: wait for a person, or roll back. Default pause. */
  onInconclusive: "pause" | "rollback";
  metrics: AnalysisMetricSpec[];
}

/** A judge's answer for one metric at one look. `running`: not yet decided (a sequential judge wants more data). */
export type Verdict = "successful" | "failed" | "inconclusive" | "error" | "running";

/** One metric's look at one interval: what was measured and the judge's verdict. */
export interface MetricRecord {
  metric: string;
  at: number;
  /** The scalar value, when there is one. */
  value?: number;
  verdict: Verdict;
  reason: string;
  detail?: Record<string, number>;
}

export type AnalysisPhase = "running" | "successful" | "failed" | "inconclusive" | "error";

/** Per-metric counters (the whole run's, not only the kept history). */
export interface MetricTally {
  measurements: number;
  successful: number;
  failed: number;
  inconclusive: number;
  errors: number;
  consecutiveSuccess: number;
  consecutiveErrors: number;
  /** The last verdict and record (for status). */
  last?: MetricRecord;
}

/** A running (or finished) analysis, stored in the rollout. */
export interface AnalysisRunState {
  spec: AnalysisSpec;
  /** `step` for an analysis step, `background` for a strategy's background analysis. */
  kind: "step" | "background";
  /** The step this run belongs to (analysis steps). */
  stepIndex?: number;
  startedAt: number;
  /** When the last round of measurements was taken. */
  lastMeasuredAt?: number;
  tallies: Record<string, MetricTally>;
  /** The last rounds of records (bounded, newest last). */
  history: MetricRecord[];
  /** The builtin router's cumulative statistics when the run started (per version), for deltas. */
  statsAtStart?: Record<
    string,
    { requests: number; errors: number; latency: { boundsMs: number[]; counts: number[] } }
  >;
  phase: AnalysisPhase;
  reason?: string;
  /** What a judge with memory (the conditional comparison) carries between looks, per metric. */
  judgeState?: Record<string, unknown>;
}

/** How many records a run keeps (older ones are dropped; the tallies keep counting). */
export const ANALYSIS_HISTORY_LIMIT = 50;

/** A template as configured under `analysis.NAME` (an AnalysisSpec without its origin). */
export type AnalysisTemplateConfig = Omit<AnalysisSpec, "templates">;

/** Settings an analysis step or a background analysis may override (never the metrics). */
export type AnalysisOverrides = Partial<Omit<AnalysisTemplateConfig, "metrics">>;

/** `{ analysis: NAME }` or `{ analysis: { templates: [A, B], count: 5 } }`: resolved when a rollout is created. */
export interface AnalysisRef {
  templates: string[];
  overrides: AnalysisOverrides;
}

/**
 * The spec of an analysis reference: the templates' metrics (in order) and the first template's
 * settings, with the overrides applied. Undefined names are left to the caller (see `missingTemplates`).
 */
export function resolveAnalysis(
  ref: AnalysisRef,
  templates: Record<string, AnalysisTemplateConfig>,
): AnalysisSpec | undefined {
  const found = ref.templates.map((name) => templates[name]);
  const first = found[0];
  if (!first || found.some((t) => t === undefined)) return undefined;
  const metrics = found.flatMap((t) => (t as AnalysisTemplateConfig).metrics);
  return { ...first, ...ref.overrides, metrics, templates: [...ref.templates] };
}
