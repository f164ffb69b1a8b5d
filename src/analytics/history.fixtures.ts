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
