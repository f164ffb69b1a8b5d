import type { ReleaseState, RolloutState, Status, VersionMetadata } from "../core/types.js";

/** Hand-built release histories for the analytics tests. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface MoveSpec {
  service: string;
  version: string;
  status: Status;
  /** Minutes after the release's creation; default 1 and 10 (rollouts run 9 minutes). */
  startAfter?: number;
  endAfter?: number;
  skipped?: boolean;
}

/** A finished (or running) release created at `createdAt` and ending `minutes` later. */
export function release(
  id: string,
  environment: string,
  createdAt: number,
  status: Status,
  moves: MoveSpec[],
  options: { minutes?: number; createdBy?: string; reason?: string } = {},
): ReleaseState {
  const terminal = !["pending", "running", "paused", "awaiting_approval"].includes(status);
  const finishedAt = terminal ? createdAt + (options.minutes ?? 10) * MINUTE : undefined;
  const rollouts = moves.map((m): RolloutState => {
    const started = m.skipped ? undefined : createdAt + (m.startAfter ?? 1) * MINUTE;
    const ended =
      m.skipped || !terminal ? undefined : createdAt + (m.endAfter ?? options.minutes ?? 10) * MINUTE;
    return {
      service: m.service,
      version: m.version,
      stableVersion: null,
      status: m.status,
      phase: "completed",
      steps: [],
      stepIndex: 0,
      stepStartedAt: createdAt,
      weight: m.status === "succeeded" ? 100 : 0,
      replicas: { new: 1, stable: 0 },
      desiredReplicas: 1,
      progressDeadline: 600_000,
      pauseTimeout: 0,
      ...(started === undefined ? {} : { startedAt: started }),
      ...(ended === undefined ? {} : { finishedAt: ended }),
      ...(m.status === "succeeded" && ended !== undefined ? { promotedAt: ended } : {}),
      ...(m.skipped ? { skipped: true } : {}),
    };
  });
  return {
    id,
    project: "shop",
    environment,
    status,
    revision: 3,
    createdAt,
    updatedAt: finishedAt ?? createdAt,
    ...(finishedAt === undefined ? {} : { finishedAt }),
    createdBy: options.createdBy ?? "alice",
    ...(options.reason ? { reason: options.reason } : {}),
    services: {},
    rollouts,
  };
}

export function published(
  service: string,
  version: string,
  at: number,
  source: "publish" | "manifest" = "publish",
): VersionMetadata {
  return {
    project: "shop",
    service,
    version,
    provides: {},
    requires: {},
    publishedAt: at,
    publishedBy: "ci",
    source,
  };
}

/**
 * Ten releases of api into production over 14 days; #3 and #7 roll back, restored by #4 30 minutes
 * later and by #8 2 hours later. Two earlier successful releases make the previous period.
 */
export const UNTIL = Date.UTC(2026, 2, 15);
export const SINCE = UNTIL - 14 * DAY;

export function tenReleases(): { releases: ReleaseState[]; versions: VersionMetadata[] } {
  const releases: ReleaseState[] = [];
  const versions: VersionMetadata[] = [];
  const created: number[] = [];
  // Lead times (hours) of the successful releases that have a publish time; #9 was never published.
  const leadHours = [1, 2, 3, undefined, 4, 5, 6, undefined, 7, undefined];
  for (let k = 0; k < 10; k++) {
    let at = SINCE + k * DAY + HOUR;
    if (k === 4) at = created[3]! + 10 * MINUTE + 20 * MINUTE; // ends 30m after #3 ended
    if (k === 8) at = created[7]! + 10 * MINUTE + 110 * MINUTE; // ends 2h after #7 ended
    created.push(at);
    const failed = k === 3 || k === 7;
    const version = `1.${k}.0`;
    releases.push(
      release(`r${k}`, "production", at, failed ? "rolled_back" : "succeeded", [
        { service: "api", version, status: failed ? "rolled_back" : "succeeded" },
      ]),
    );
    const lead = leadHours[k];
    // Versions live 10 minutes after their release was created.
    if (lead !== undefined) versions.push(published("api", version, at + 10 * MINUTE - lead * HOUR));
    else if (failed) versions.push(published("api", version, at - HOUR));
  }
  // The previous 14 days: two successes with a 10h lead time each.
  for (const [i, at] of [SINCE - 10 * DAY, SINCE - 5 * DAY].entries()) {
    releases.push(
      release(`p${i}`, "production", at, "succeeded", [
        { service: "api", version: `0.9.${i}`, status: "succeeded" },
      ]),
    );
    versions.push(published("api", `0.9.${i}`, at + 10 * MINUTE - 10 * HOUR));
  }
  return { releases, versions };
}
