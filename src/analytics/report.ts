import { TandemError } from "../core/errors.js";
import { checkRange } from "../core/limits.js";
import { type AnalyticsInput, buildHistory, publishTimes, type ReleaseRecord } from "./history.js";
import { computeMetrics, type Scope, type Window } from "./metrics.js";
import { computeTrend, WEEK_MS } from "./trends.js";
import {
  type DeliveryReport,
  type EnvironmentReport,
  type FailureEntry,
  REPORT_SCHEMA,
  type ReportOptions,
} from "./types.js";

export const DEFAULT_WINDOW_MS = 30 * 86_400_000;

/**
 * The window of `options`: until defaults to now, since to 30 days before until. Checked against the
 * range limits (core/limits.ts) here, where the API and the CLI both pass before any work starts.
 */
export function reportWindow(options: ReportOptions): Window {
  const until = options.until ?? options.now;
  const since = options.since ?? until - DEFAULT_WINDOW_MS;
  if (!(since < until)) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `the report window is empty: since ${iso(since)} is not before until ${iso(until)}`,
      { hint: "give --since an earlier time, e.g. --since 30d" },
    );
  }
  checkRange(since, until, WEEK_MS);
  return { since, until };
}

const iso = (at: number) => new Date(at).toISOString();

const unique = (names: Iterable<string>) => [...new Set(names)];

/** The DORA metrics and delivery statistics of a project, per environment and per service. Pure. */
export function computeReport(input: AnalyticsInput, options: ReportOptions): DeliveryReport {
  const w = reportWindow(options);
  const published = publishTimes(input.versions);
  const history = buildHistory(input);
  const environments = unique([...(input.environments ?? []), ...history.map((r) => r.environment)]).filter(
    (e) => options.environment === undefined || e === options.environment,
  );
  return {
    schema: REPORT_SCHEMA,
    project: input.project,
    generatedAt: options.now,
    window: { since: w.since, until: w.until, days: (w.until - w.since) / 86_400_000 },
    filters: { environment: options.environment ?? null, service: options.service ?? null },
    environments: environments.map((environment) =>
      environmentReport(environment, history, input.services ?? [], published, options.service, w),
    ),
  };
}

function environmentReport(
  environment: string,
  history: ReleaseRecord[],
  knownServices: readonly string[],
  publishedAt: ReadonlyMap<string, number>,
  onlyService: string | undefined,
  w: Window,
): EnvironmentReport {
  const involves = (r: ReleaseRecord) =>
    onlyService === undefined || r.moves.some((m) => m.service === onlyService);
  const releases = history.filter((r) => r.environment === environment && involves(r));
  const moves = releases
    .flatMap((r) => r.moves)
    .filter((m) => onlyService === undefined || m.service === onlyService);
  const scope: Scope = { units: releases, releases, moves, publishedAt };
  const services = unique([...knownServices, ...moves.map((m) => m.service)]).filter(
    (s) => onlyService === undefined || s === onlyService,
  );
  return {
    environment,
    metrics: computeMetrics(scope, w),
    trend: computeTrend(scope, w),
    services: services.map((service) => {
      const own = moves.filter((m) => m.service === service);
      const serviceScope: Scope = {
        units: own,
        releases: releases.filter((r) => r.moves.some((m) => m.service === service)),
        moves: own,
        publishedAt,
      };
      return { service, metrics: computeMetrics(serviceScope, w), trend: computeTrend(serviceScope, w) };
    }),
    failures: failures(releases, onlyService, w),
  };
}

function failures(releases: ReleaseRecord[], onlyService: string | undefined, w: Window): FailureEntry[] {
  return releases
    .filter((r) => r.finishedAt !== undefined && r.finishedAt > w.since && r.finishedAt <= w.until)
    .filter((r) => r.outcome === "failed" || r.undone)
    .map((r) => ({
      releaseId: r.id,
      services: r.moves
        .filter((m) => onlyService === undefined || m.service === onlyService)
        .map((m) => `${m.service}@${m.version}`),
      status: r.status,
      undone: r.undone,
      at: r.finishedAt!,
      createdBy: r.createdBy,
      reason: r.reason ?? null,
    }));
}
