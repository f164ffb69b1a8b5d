import { recordOf } from "../core/record.js";
import type { RegistryEntry, ReleaseCommand, ReleaseState, Status, VersionMetadata } from "../core/types.js";
import { isTerminal } from "../core/types.js";
import type { AuditDraft, AuditOrigin } from "./types.js";

/** The actor of entries the engine writes on its own (release outcomes, registry changes). */
export const ENGINE_ACTOR = "tandem-engine";

/** Who did it and through which door. */
export interface AuditSource {
  actor: string;
  origin: AuditOrigin;
}

/** `release.created`: the request as the release records it. */
export function releaseCreatedEntry(
  release: ReleaseState,
  source: AuditSource,
  kind: "deploy" | "promote" | "rollback" = "deploy",
  reason?: string,
): AuditDraft {
  return {
    at: release.createdAt,
    ...source,
    action: "release.created",
    subject: release.id,
    reason: reason ?? release.freezeOverride?.reason,
    data: {
      kind,
      project: release.project,
      environment: release.environment,
      services: release.rollouts.map((r) => `${r.service}@${r.version}`),
      promotedFrom: release.promotedFrom,
      freezeOverride: release.freezeOverride?.window,
    },
  };
}

/** `release.approve`, `release.reject`, `release.abort`, `release.resume`, `release.promote`, `release.rollback`. */
export function commandEntry(command: ReleaseCommand, origin: AuditOrigin): AuditDraft {
  return {
    at: command.createdAt,
    actor: command.actor,
    origin,
    action: `release.${command.type}`,
    subject: command.releaseId,
    reason: command.reason,
    data: {
      command: command.id,
      service: command.service,
      ...(command.token ? { token: command.token.name, tokenId: command.token.id } : {}),
    },
  };
}

/**
 * What one engine pass decided that is worth an audit entry: the release's outcome (`release.succeeded`,
 * `release.failed`, `release.rolled_back`, `release.aborted`) when it just ended, and each stable version
 * it changed (`registry.stable_changed`).
 */
export function engineEntries(
  statusBefore: Status,
  after: ReleaseState,
  registry: readonly RegistryEntry[],
  now: number,
): AuditDraft[] {
  // By service, read once: a pass that promotes thousands of services would search the rollouts for each.
  const rollouts = registry.length > 0 ? new Map(after.rollouts.map((r) => [r.service, r])) : undefined;
  const entries: AuditDraft[] = registry.map((entry) => ({
    at: entry.at,
    actor: ENGINE_ACTOR,
    origin: "engine",
    action: "registry.stable_changed",
    subject: `${entry.environment}/${entry.service}`,
    data: {
      project: entry.project,
      version: entry.version,
      previous: rollouts?.get(entry.service)?.stableVersion,
      release: entry.releaseId,
    },
  }));
  if (!isTerminal(statusBefore) && isTerminal(after.status)) {
    entries.push({
      at: after.finishedAt ?? now,
      actor: ENGINE_ACTOR,
      origin: "engine",
      action: `release.${after.status}`,
      subject: after.id,
      reason: after.reason,
      data: {
        environment: after.environment,
        createdBy: after.createdBy,
        rollouts: recordOf(after.rollouts.map((r) => [r.service, `${r.version} ${r.status}`])),
      },
    });
  }
  return entries;
}

/** `registry.version_published`: metadata published (CLI/API) or read from a shipped manifest. */
export function versionEntry(metadata: VersionMetadata, origin: AuditOrigin): AuditDraft {
  return {
    at: metadata.publishedAt,
    actor: metadata.publishedBy,
    origin,
    action: "registry.version_published",
    subject: `${metadata.service}@${metadata.version}`,
    data: {
      project: metadata.project,
      source: metadata.source,
      provides: metadata.provides,
      requires: metadata.requires,
    },
  };
}

/** `notification.retry`: dead deliveries made pending again (subject: the ids, or `all-dead`). */
export function notificationRetryEntry(
  ids: readonly string[] | undefined,
  source: AuditSource,
  at: number,
  reason?: string,
): AuditDraft {
  return {
    at,
    ...source,
    action: "notification.retry",
    subject: ids === undefined ? "all-dead" : ids.join(","),
    reason,
    data: ids === undefined ? { allDead: true } : { deliveries: [...ids] },
  };
}

/** `project.down`: the routers and instances of an environment (or all) were stopped. */
export function downEntry(
  options: { environment?: string; force?: boolean; reason?: string },
  source: AuditSource,
  stopped: { routers: number; instances: number },
  at: number,
): AuditDraft {
  return {
    at,
    ...source,
    action: "project.down",
    subject: options.environment ?? "all environments",
    reason: options.reason,
    data: { ...stopped, force: options.force === true },
  };
}
