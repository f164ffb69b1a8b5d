import type { Band, DoraBands } from "./types.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;

/**
 * DORA performance levels, from the 2023 Accelerate State of DevOps report (Google Cloud / DORA,
 * "Software delivery performance" table):
 *
 * | level  | deployment frequency                   | lead time for changes      | change failure rate | failed deployment recovery time |
 * |--------|----------------------------------------|----------------------------|---------------------|---------------------------------|
 * | elite  | on demand (multiple deploys per day)   | less than one day          | 5%                  | less than one hour              |
 * | high   | between once per day and once per week | between one day and a week | 10%                 | less than one day               |
 * | medium | between once per week and once a month | between a week and a month | 15%                 | between one day and one week    |
 * | low    | between once per week and once a month | between a week and a month | 64%                 | between one month and six months|
 *
 * The report's medium and low levels overlap on frequency and lead time, and its rates are cluster
 * averages, not bounds. Tandem reads the table as these cut-offs (each level is "at least this good"):
 * frequency ≥ 7/week elite (daily on average), ≥ 1/week high, ≥ 1 per 30 days medium, else low;
 * lead time and time to restore (medians) < 1 day / < 1 week / < 30 days, and < 1 hour / < 1 day /
 * < 1 week; change failure rate ≤ 5% / ≤ 10% / ≤ 15%, else low.
 */
export const BAND_THRESHOLDS = {
  deploymentsPerWeek: { elite: 7, high: 1, medium: 7 / 30 },
  leadTime: { elite: DAY, high: WEEK, medium: MONTH },
  changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
  timeToRestore: { elite: HOUR, high: DAY, medium: WEEK },
} as const;

const ORDER: Band[] = ["elite", "high", "medium", "low"];

type Cutoffs = { elite: number; high: number; medium: number };

/** Lower is better: below `elite` is elite, and so on. `inclusive` makes the cut-off itself count. */
function lowerIsBetter(value: number | null, cut: Cutoffs, inclusive: boolean): Band | null {
  if (value === null) return null;
  const within = (limit: number) => (inclusive ? value <= limit : value < limit);
  if (within(cut.elite)) return "elite";
  if (within(cut.high)) return "high";
  if (within(cut.medium)) return "medium";
  return "low";
}

export function frequencyBand(deploymentsPerWeek: number): Band {
  const cut = BAND_THRESHOLDS.deploymentsPerWeek;
  if (deploymentsPerWeek >= cut.elite) return "elite";
  if (deploymentsPerWeek >= cut.high) return "high";
  if (deploymentsPerWeek >= cut.medium) return "medium";
  return "low";
}

export function doraBands(values: {
  deploymentsPerWeek: number;
  /** Whether any release finished in the window: with none, there is nothing to rate. */
  anyRelease: boolean;
  leadTimeMedian: number | null;
  changeFailureRate: number | null;
  timeToRestoreMedian: number | null;
}): DoraBands {
  const bands = {
    deploymentFrequency: values.anyRelease ? frequencyBand(values.deploymentsPerWeek) : null,
    leadTime: lowerIsBetter(values.leadTimeMedian, BAND_THRESHOLDS.leadTime, false),
    changeFailureRate: lowerIsBetter(values.changeFailureRate, BAND_THRESHOLDS.changeFailureRate, true),
    timeToRestore: lowerIsBetter(values.timeToRestoreMedian, BAND_THRESHOLDS.timeToRestore, false),
  };
  const known = Object.values(bands).filter((b): b is Band => b !== null);
  const overall = known.length === 0 ? null : ORDER[Math.max(...known.map((b) => ORDER.indexOf(b)))]!;
  return { overall, ...bands };
}
