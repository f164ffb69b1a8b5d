import type { DeliveryReport, ReportOptions } from "./analytics/types.js";
import type { TokenView } from "./api/tokens.js";
import type { AuditEntry, AuditFilter } from "./audit/types.js";
import type { AuditVerdict } from "./audit/verify.js";
import type { ReleaseCommand, ReleaseState, TandemEvent, VersionMetadata } from "./core/types.js";
import type { ReleasePlan } from "./engine/plan-view.js";
import type { WhereEntry } from "./orchestrator-where.js";
import type { RegistryView } from "./registry/view.js";
import type { OutboxDelivery } from "./store/types.js";

/**
 * What a CLI command asks of Tandem, whichever transport carries it: the local `Orchestrator` (on the
 * store, next to it) or the `ApiClient` (a `tandem serve` through `--server`). Who acts and through
 * which door is the transport's: a local orchestrator records its own origin (the CLI opens it as
 * "cli"), the server records the token's actor and "api". Types only, so anything may import it.
 */
export interface TandemClient {
  /** The transport's clock (the local orchestrator's injected clock; the wall clock remotely). */
  now(): number;
  /**
   * Creates a release. `drive`: the caller's process drives it next (the local transport takes the
   * release's lease at once); a server drives every release itself and ignores it.
   */
  createRelease(request: ReleaseCreation): Promise<ReleaseState>;
  /** Releases a succeeded release's versions into the next environment (or `to`). */
  promote(releaseId: string, request: Promotion): Promise<ReleaseState>;
  /**
   * During a release of the service: asks its engine to roll the service back. Otherwise: starts a
   * quick release of the previous stable version (or `to`).
   */
  rollbackService(request: RollbackRequest): Promise<RollbackOutcome>;
  /** A person's decision or command on an unfinished release, recorded for its engine. */
  act(releaseId: string, action: ReleaseAction, options: ActionOptions): Promise<ReleaseCommand>;
  /** Whether an engine drives the release now, so a command is acted on (a server drives them all). */
  isDriven(releaseId: string): Promise<boolean>;
  /** What runs where: stable version, instances, router and traffic per service and environment. */
  where(environment?: string): Promise<WhereEntry[]>;
  /** The delivery report (DORA metrics) over [since, until] (clock ms; defaults: 30 days to now). */
  deliveryReport(query: ReportQuery): Promise<DeliveryReport>;
  /** The release a request would create, as a DAG with timings (`tandem plan`). */
  plan(request: { services: string[]; environment?: string }): Promise<ReleasePlan>;
  /** Releases, newest first. */
  releases(filter?: {
    active?: boolean;
    environment?: string;
    service?: string;
    limit?: number;
  }): Promise<ReleaseState[]>;
  release(id: string): Promise<ReleaseState>;
  /** A release's events, oldest first, after `afterSeq`. */
  events(id: string, afterSeq?: number): Promise<TandemEvent[]>;
  /** Stops the project's routers and instances. */
  down(request: { environment?: string; force?: boolean }): Promise<{ routers: number; instances: number }>;
  /** The audit trail's entries matching `filter`, oldest first. */
  auditEntries(filter: AuditFilter): Promise<AuditEntry[]>;
  /** Recomputes the audit trail's hash chain (the store file itself is checked only locally). */
  verifyAudit(expectHead?: string): Promise<AuditVerdict>;
  createToken(request: {
    name: string;
    role: string;
    environments?: string[];
    expires?: string;
    actor?: string;
  }): Promise<{ token: string; record: TokenView }>;
  tokens(): Promise<TokenView[]>;
  /** Revokes an active token; none by that name or id is a NotFoundError. */
  revokeToken(idOrName: string): Promise<{ revoked: string }>;
  registry(environment?: string): Promise<RegistryView>;
  versions(service: string): Promise<VersionMetadata[]>;
  publishVersion(request: {
    service: string;
    version: string;
    provides: Record<string, string>;
    requires: Record<string, string>;
  }): Promise<VersionMetadata>;
  /** Notification deliveries: pending and dead ones, or with `all` every one. */
  deliveries(query: { channel?: string; all?: boolean }): Promise<OutboxDelivery[]>;
  /** Makes dead deliveries pending again (these ids, or every dead one). */
  retryNotifications(request: { ids?: string[]; allDead?: true }): Promise<{ revived: number }>;
}

export interface ReleaseCreation {
  services: string[];
  environment?: string;
  overrideFreeze?: string;
  drive?: boolean;
}

export interface Promotion {
  to?: string;
  overrideFreeze?: string;
  drive?: boolean;
}

export interface RollbackRequest {
  service: string;
  environment?: string;
  to?: string;
  reason?: string;
  drive?: boolean;
}

/** A report's window and scope; `now` is the transport's. */
export type ReportQuery = Omit<ReportOptions, "now">;

export type ReleaseAction = "approve" | "reject" | "abort" | "resume";

export interface ActionOptions {
  /** The rollout the action is for (an approval step's service, one rollout to abort or resume). */
  service?: string;
  /** Why, for the record (approve and reject record it as their comment). */
  reason?: string;
  /** resume: also skip a timed pause. */
  force?: boolean;
}

export type RollbackOutcome =
  | { kind: "command"; releaseId: string }
  | { kind: "release"; releaseId: string; release: ReleaseState };
