import { isTerminal, type ReleaseState, type Status, type VersionMetadata } from "../core/types.js";

/** Everything the analytics are computed from: pure data, read from the store by store-reader.ts. */
export interface AnalyticsInput {
  project: string;
  releases: ReleaseState[];
  versions: VersionMetadata[];
  /** Releases started by `tandem rollback` (their `release.created` event has `data.fast`). */
  rollbackReleaseIds: readonly string[];
  /** Environments and services to report on, in this order (the configuration's); others found in releases follow. */
  environments?: readonly string[];
  services?: readonly string[];
}

export type Outcome = "succeeded" | "failed" | "aborted" | "running";

/** One service's move inside one release: the unit of the per-service numbers. */
export interface Move {
  releaseId: string;
  environment: string;
  service: string;
  version: string;
  outcome: Outcome;
  status: Status;
  /** The release was started by `tandem rollback`. */
  rollback: boolean;
  /** It succeeded, and a later `tandem rollback` of the service undid it. */
  undone: boolean;
  /** When the rollback that undid it was started. */
  undoneAt?: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** When the new version became live (promotedAt, else the rollout's end). */
  liveAt?: number;
}

/** One release: the unit of the per-environment numbers. */
export interface ReleaseRecord {
  id: string;
  environment: string;
  outcome: Outcome;
  status: Status;
  rollback: boolean;
  /** Some of its services succeeded and were undone by a later `tandem rollback`. */
  undone: boolean;
  createdAt: number;
  finishedAt?: number;
  createdBy: string;
  reason?: string;
  moves: Move[];
}

export function outcomeOf(status: Status): Outcome {
  if (status === "succeeded") return "succeeded";
  if (status === "failed" || status === "rolled_back") return "failed";
  if (status === "aborted") return "aborted";
  return "running";
}

/** Turns stored releases into records, oldest first, marking what a later `tandem rollback` undid. */
export function buildHistory(input: AnalyticsInput): ReleaseRecord[] {
  const rollbacks = new Set(input.rollbackReleaseIds);
  const records = [...input.releases]
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
    .map((release): ReleaseRecord => {
      const rollback = rollbacks.has(release.id);
      const moves = release.rollouts
        .filter((r) => !r.skipped)
        .map(
          (r): Move => ({
            releaseId: release.id,
            environment: release.environment,
            service: r.service,
            version: r.version,
            status: r.status,
            outcome: outcomeOf(r.status),
            rollback,
            undone: false,
            createdAt: release.createdAt,
            startedAt: r.startedAt,
            finishedAt: isTerminal(r.status) ? (r.finishedAt ?? release.finishedAt) : undefined,
            liveAt:
              r.status === "succeeded" ? (r.promotedAt ?? r.finishedAt ?? release.finishedAt) : undefined,
          }),
        );
      return {
        id: release.id,
        environment: release.environment,
        status: release.status,
        outcome: outcomeOf(release.status),
        rollback,
        undone: false,
        createdAt: release.createdAt,
        finishedAt: isTerminal(release.status) ? (release.finishedAt ?? release.updatedAt) : undefined,
        createdBy: release.createdBy,
        reason: release.reason,
        moves,
      };
    });
  markUndone(records);
  return records;
}

/**
 * A succeeded move is undone when a rollback release of the same service in the same environment was
 * started after it ended, and no other successful move of that service came in between.
 */
function markUndone(records: ReleaseRecord[]): void {
  for (const rollback of records.filter((r) => r.rollback)) {
    for (const move of rollback.moves) {
      const previous = records
        .flatMap((r) => r.moves)
        .filter(
          (m) =>
            m.environment === move.environment &&
            m.service === move.service &&
            m.outcome === "succeeded" &&
            m.finishedAt !== undefined &&
            m.finishedAt <= rollback.createdAt,
        )
        .sort((a, b) => a.finishedAt! - b.finishedAt!)
        .at(-1);
      if (!previous || previous.rollback) continue;
      previous.undone = true;
      previous.undoneAt = rollback.createdAt;
      const owner = records.find((r) => r.id === previous.releaseId);
      if (owner) owner.undone = true;
    }
  }
}

/** The publish time of `service@version`, when it was published (not only read from a manifest). */
export function publishTimes(versions: readonly VersionMetadata[]): Map<string, number> {
  const times = new Map<string, number>();
  for (const v of versions) {
    if (v.source === "publish") times.set(`${v.service}@${v.version}`, v.publishedAt);
  }
  return times;
}
