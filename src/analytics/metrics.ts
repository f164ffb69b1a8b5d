import { doraBands } from "./band.js";
import type { Move, Outcome, ReleaseRecord } from "./history.js";
import { ratio, spread } from "./stats.js";
import type { Headline, Metrics, OpenIncident } from "./types.js";

const DAY = 86_400_000;

/** A time range, `since` exclusive, `until` inclusive: a release ending at `now` is in the default window. */
export interface Window {
  since: number;
  until: number;
}

/** Something that succeeds or fails: a release (environment numbers) or one service's move (service numbers). */
export interface Unit {
  outcome: Outcome;
  status: string;
  rollback: boolean;
  undone: boolean;
  createdAt: number;
  finishedAt?: number;
}

/** What one scope's numbers are computed from. */
export interface Scope {
  /** What is counted: the environment's releases, or one service's moves. */
  units: Unit[];
  /** The releases the units belong to (release durations). */
  releases: ReleaseRecord[];
  /** Every move of the scope, from all time: lead time, time to restore, rollout durations. */
  moves: Move[];
  /** `service@version` -> publish time. */
  publishedAt: ReadonlyMap<string, number>;
}

const within = (at: number | undefined, w: Window): at is number =>
  at !== undefined && at > w.since && at <= w.until;

/** An incident: a service failed at `start`; restored at `end` by its next successful move (or still open). */
export interface Incident {
  service: string;
  releaseId: string;
  start: number;
  end?: number;
}

/**
 * Walks each service's moves in time order: the first failure opens an incident, further failures
 * leave it open, the next success (a rollback release's included) closes it. Nothing after `until`
 * is seen. A succeeded move undone by `tandem rollback` fails when that rollback was started.
 */
export function incidents(moves: readonly Move[], until: number): Incident[] {
  type Mark = { at: number; ok: boolean; move: Move };
  const marks: Mark[] = [];
  for (const m of moves) {
    if (m.outcome === "failed" && m.finishedAt !== undefined)
      marks.push({ at: m.finishedAt, ok: false, move: m });
    if (m.outcome === "succeeded" && m.finishedAt !== undefined)
      marks.push({ at: m.finishedAt, ok: true, move: m });
    if (m.undone && m.undoneAt !== undefined) marks.push({ at: m.undoneAt, ok: false, move: m });
  }
  marks.sort((a, b) => a.at - b.at || Number(a.ok) - Number(b.ok));
  const open = new Map<string, Incident>();
  const all: Incident[] = [];
  for (const mark of marks) {
    if (mark.at > until) break;
    const key = `${mark.move.environment}\u0000${mark.move.service}`;
    const current = open.get(key);
    if (!mark.ok && !current) {
      const incident = { service: mark.move.service, releaseId: mark.move.releaseId, start: mark.at };
      open.set(key, incident);
      all.push(incident);
    } else if (mark.ok && current) {
      current.end = mark.at;
      open.delete(key);
    }
  }
  return all;
}

/** Every number of one scope over one window. */
export function computeMetrics(scope: Scope, w: Window): Metrics {
  const finished = scope.units.filter((u) => within(u.finishedAt, w));
  const changes = finished.filter((u) => !u.rollback);
  const count = (status: string) => changes.filter((u) => u.status === status).length;
  const succeeded = count("succeeded");
  const failed = count("failed");
  const rolledBack = count("rolled_back");
  const aborted = count("aborted");
  const inProgress = scope.units.filter((u) => u.outcome === "running" && u.createdAt <= w.until).length;

  const days = (w.until - w.since) / DAY;
  const perDay = days > 0 ? succeeded / days : 0;

  const leadTimes: number[] = [];
  let withoutPublishTime = 0;
  for (const m of scope.moves) {
    if (m.rollback || m.outcome !== "succeeded" || !within(m.liveAt, w)) continue;
    const published = scope.publishedAt.get(`${m.service}@${m.version}`);
    if (published === undefined || published > m.liveAt) withoutPublishTime++;
    else leadTimes.push(m.liveAt - published);
  }

  const failures = changes.filter((u) => u.outcome === "failed" || u.undone).length;
  const deployments = succeeded + failed + rolledBack;

  const restores: number[] = [];
  const open: OpenIncident[] = [];
  for (const incident of incidents(scope.moves, w.until)) {
    if (incident.start <= w.since) continue;
    if (incident.end !== undefined) restores.push(incident.end - incident.start);
    else {
      open.push({
        service: incident.service,
        releaseId: incident.releaseId,
        since: incident.start,
        openFor: w.until - incident.start,
      });
    }
  }

  const releaseDurations = scope.releases
    .filter((r) => within(r.finishedAt, w))
    .map((r) => r.finishedAt! - r.createdAt);
  const rolloutDurations = scope.moves
    .filter((m) => within(m.finishedAt, w) && m.startedAt !== undefined)
    .map((m) => m.finishedAt! - m.startedAt!);

  const leadTime = spread(leadTimes);
  const rate = ratio(failures, deployments);
  const timeToRestore = spread(restores);
  return {
    releases: {
      total: finished.length,
      succeeded,
      failed,
      rolledBack,
      aborted,
      rollbacks: finished.length - changes.length,
      inProgress,
    },
    successRate: ratio(succeeded, changes.length),
    deploymentFrequency: { deployments: succeeded, perDay, perWeek: perDay * 7 },
    leadTime: { ...leadTime, withoutPublishTime },
    changeFailureRate: { failures, deployments, rate },
    timeToRestore: { ...timeToRestore, open },
    durations: { release: spread(releaseDurations), rollout: spread(rolloutDurations) },
    bands: doraBands({
      deploymentsPerWeek: perDay * 7,
      anyRelease: finished.length > 0,
      leadTimeMedian: leadTime.median,
      changeFailureRate: rate,
      timeToRestoreMedian: timeToRestore.median,
    }),
  };
}

export function headline(m: Metrics): Headline {
  return {
    deploymentsPerWeek: m.deploymentFrequency.perWeek,
    leadTimeMedian: m.leadTime.median,
    changeFailureRate: m.changeFailureRate.rate,
    timeToRestoreMedian: m.timeToRestore.median,
    successRate: m.successRate,
  };
}
