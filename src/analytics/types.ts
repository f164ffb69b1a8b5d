/**
 * The delivery report (`tandem report --format json`, `Orchestrator.analytics()`): a stable shape,
 * versioned by `schema`. Every duration is in milliseconds, every time in epoch milliseconds, every
 * rate a fraction between 0 and 1; `null` means "no data to compute it from".
 */

export const REPORT_SCHEMA = "tandem.report/v1";

/** DORA performance levels of the 2023 State of DevOps report (see band.ts). */
export type Band = "elite" | "high" | "medium" | "low";

/** How a metric moved against the previous period of the same length. */
export type Direction = "up" | "down" | "flat";

export interface Spread {
  /** How many samples the median and p90 are computed from. */
  count: number;
  median: number | null;
  p90: number | null;
}

export interface ReleaseCounts {
  /** Finished in the window (rollback releases included). */
  total: number;
  succeeded: number;
  failed: number;
  rolledBack: number;
  aborted: number;
  /** Releases started by `tandem rollback` (restores, not changes). */
  rollbacks: number;
  /** Not finished yet (not in any rate). */
  inProgress: number;
}

/** A failure not followed (yet) by a successful release of that service in that environment. */
export interface OpenIncident {
  service: string;
  releaseId: string;
  /** When the failure happened (the failed release's end, or when the rollback was started). */
  since: number;
  /** `until` − `since`. */
  openFor: number;
}

export interface DoraBands {
  /** The worst band of the metrics that have data; null when none has. */
  overall: Band | null;
  deploymentFrequency: Band | null;
  leadTime: Band | null;
  changeFailureRate: Band | null;
  timeToRestore: Band | null;
}

export interface Metrics {
  releases: ReleaseCounts;
  /** succeeded ÷ (succeeded + failed + rolledBack + aborted), rollback releases left out. */
  successRate: number | null;
  deploymentFrequency: {
    /** Successful releases (rollback releases left out). */
    deployments: number;
    perDay: number;
    perWeek: number;
  };
  /** From the version's publish time to the time it became live; median and p90. */
  leadTime: Spread & {
    /** Changes that went live without a usable publish time (not published, or published after). */
    withoutPublishTime: number;
  };
  changeFailureRate: {
    /** Failed, rolled back, or succeeded and later undone by `tandem rollback`. */
    failures: number;
    /** succeeded + failed + rolled back (rollback releases and aborted ones left out). */
    deployments: number;
    rate: number | null;
  };
  /** From a failure to the next successful release of that service in that environment. */
  timeToRestore: Spread & { open: OpenIncident[] };
  durations: {
    /** Creation to end of each finished release (approval waits included). */
    release: Spread;
    /** Start to end of each rollout that started. */
    rollout: Spread;
  };
  bands: DoraBands;
}

/** The headline numbers of one period. */
export interface Headline {
  deploymentsPerWeek: number;
  leadTimeMedian: number | null;
  changeFailureRate: number | null;
  timeToRestoreMedian: number | null;
  successRate: number | null;
}

export interface Change {
  current: number | null;
  previous: number | null;
  /** null when either side has no data. */
  direction: Direction | null;
  /** Whether the move is an improvement (null when flat or unknown). */
  better: boolean | null;
}

export interface WeekBucket {
  /** Exclusive start and inclusive end, like the window; the last week may be shorter (it ends at `until`). */
  start: number;
  end: number;
  deployments: number;
  failures: number;
  changeFailureRate: number | null;
  leadTimeMedian: number | null;
  timeToRestoreMedian: number | null;
}

export interface Trend {
  weeks: WeekBucket[];
  /** The window against the window of the same length just before it. */
  previous: { since: number; until: number };
  changes: Record<keyof Headline, Change>;
}

/** A release that failed, rolled back, or was undone later, for people reading the report. */
export interface FailureEntry {
  releaseId: string;
  services: string[];
  status: string;
  /** True when it succeeded and `tandem rollback` undid it later. */
  undone: boolean;
  at: number;
  createdBy: string;
  reason: string | null;
}

export interface ServiceReport {
  service: string;
  metrics: Metrics;
  trend: Trend;
}

export interface EnvironmentReport {
  environment: string;
  metrics: Metrics;
  trend: Trend;
  services: ServiceReport[];
  failures: FailureEntry[];
}

export interface DeliveryReport {
  schema: typeof REPORT_SCHEMA;
  project: string;
  generatedAt: number;
  window: { since: number; until: number; days: number };
  filters: { environment: string | null; service: string | null };
  environments: EnvironmentReport[];
}

/** What the report is computed for; `now` is injected (tests, `--until`). */
export interface ReportOptions {
  now: number;
  /** Default `until` − 30 days. */
  since?: number;
  /** Default `now`. */
  until?: number;
  environment?: string;
  service?: string;
}
