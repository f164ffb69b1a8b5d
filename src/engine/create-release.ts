import type { AuditDraft } from "../audit/types.js";
import { restoreEnvPlaceholders } from "../config/redact.js";
import { serviceIn, type TandemConfig } from "../core/config.js";
import { ReleaseExistsError, TandemError } from "../core/errors.js";
import { recordOf } from "../core/record.js";
import type { ReleaseState, RolloutState, TandemEvent, VersionMetadata } from "../core/types.js";
import type { LeaseClaim, Store } from "../store/types.js";
import { describeGate, openGate } from "./approval.js";
import { newRollout } from "./new-rollout.js";
import { checkFreeze, checkPromotionOrder, type Move, planAndCheck } from "./release-checks.js";
import { newReleaseId, type ReleaseIdGenerator } from "./release-id.js";

export interface ServiceVersion {
  service: string;
  version: string;
}

export interface CreateReleaseRequest {
  environment: string;
  services: ServiceVersion[];
  actor: string;
  /**
   * A rollback to an earlier version: skip the strategy's pauses and switch as soon as the old version's
   * instances are ready (they are checked like any other).
   */
  fast?: boolean;
  /** Go through a change freeze, for this reason (recorded in the events). */
  overrideFreeze?: string;
  /** The release (in the previous environment) whose versions this one promotes. */
  promotedFrom?: string;
  /** Check everything and return the release that would be created, without storing it. */
  dryRun?: boolean;
}

export interface CreateReleaseDeps {
  store: Store;
  config: TandemConfig;
  now: number;
  /** The uninterpolated configuration of a service, stored with the release (no secrets in the store). */
  snapshot(service: string): unknown;
  /** The audit entries of this creation, written in the same transaction as the release. */
  audit?(release: ReleaseState): AuditDraft[];
  /** The lease of the engine that drives the release next, taken in the creation's transaction. */
  lease?(releaseId: string): LeaseClaim;
  /** Throws when the service's target cannot start this version at all (Target.verify). */
  verify?(service: string, version: string): void;
  /** What a version provides and requires (published, or from its manifest); none when absent. */
  metadata?(service: string, version: string): Promise<VersionMetadata | undefined>;
  /** Makes release ids (tests inject one that clashes); the process's generator by default. */
  newId?: ReleaseIdGenerator;
}

/** Ids tried when the store already holds the id drawn (80 random bits: a clash is a generator fault). */
const MAX_ID_ATTEMPTS = 5;

/** Refuses an impossible request before anything moves, then stores the release as pending. */
export async function createRelease(
  request: CreateReleaseRequest,
  deps: CreateReleaseDeps,
): Promise<ReleaseState> {
  const { config, store, now } = deps;
  if (!config.environments[request.environment]) {
    throw invalid(
      `unknown environment "${request.environment}"`,
      `environments in ${config.file}: ${Object.keys(config.environments).join(", ")}`,
    );
  }
  if (request.services.length === 0) throw invalid("nothing to release", "name at least one SERVICE@VERSION");
  const environment = config.environments[request.environment]!;
  // A rollback (fast) restores what ran before: neither a change freeze nor `after:` holds it back.
  const freeze = request.fast
    ? undefined
    : checkFreeze(config, request.environment, now, request.overrideFreeze);
  const seen = new Set<string>();
  for (const { service, version } of request.services) {
    if (!serviceIn(config, request.environment, service)) {
      throw invalid(
        `unknown service "${service}"`,
        `services in ${config.file}: ${Object.keys(config.services).join(", ")}`,
      );
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/.test(version)) {
      throw invalid(
        `invalid version "${version}" for ${service}`,
        "use letters, digits, '.', '-', '_' or '+'",
      );
    }
    if (seen.has(service)) throw invalid(`${service} is named twice`, "release each service once");
    seen.add(service);
    try {
      deps.verify?.(service, version);
    } catch (error) {
      if (!(error instanceof TandemError)) throw error;
      throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `${service}@${version}: ${error.message}`, {
        hint: error.hint,
        cause: error,
      });
    }
  }
  if (!request.fast) await checkPromotionOrder(store, config, request.environment, request.services);
  const active = await activeReleasesOf(store, config.project, request.environment, [...seen]);
  for (const release of active) {
    const clash = release.rollouts.find((r) => seen.has(r.service));
    if (clash) {
      throw new TandemError(
        "TANDEM_ERR_RELEASE_ACTIVE",
        `${clash.service} is already being released in ${request.environment} (release ${release.id}, ${release.status})`,
        { hint: `wait for it (\`tandem status ${release.id}\`) or stop it (\`tandem abort ${release.id}\`)` },
      );
    }
  }

  const moves: Move[] = [];
  for (const { service, version } of request.services) {
    const stable = await store.getStable(config.project, request.environment, service);
    let stableVersion = stable?.version ?? null;
    if (stableVersion === version) {
      const running = await store.listInstances({
        project: config.project,
        environment: request.environment,
        service,
      });
      if (running.length > 0) {
        throw invalid(
          `${service}@${version} is already the live version in ${request.environment}`,
          "`tandem status` shows what runs where",
        );
      }
      // Nothing runs (after `tandem down`): starting the stable version again is a first release of it.
      stableVersion = null;
    }
    moves.push({ service, version, stableVersion });
  }
  const dag = await planAndCheck(moves, {
    store,
    config,
    environment: request.environment,
    metadata: deps.metadata ?? (async () => undefined),
  });
  const moveOf = new Map(moves.map((m) => [m.service, m]));
  const rollouts: RolloutState[] = dag.order.map((service) => {
    const move = moveOf.get(service)!;
    const spec = serviceIn(config, request.environment, service)!;
    return newRollout(spec, move.version, move.stableVersion, {
      fast: request.fast ?? false,
      now,
      needs: dag.needs[service] ?? [],
      analysis: config.analysis,
    });
  });

  const gate =
    environment.approval && !request.fast ? openGate(environment.approval, request.actor, now) : undefined;
  const build = (id: string) => {
    const pre = [...config.hooks.pre, ...environment.hooks.pre];
    const post = [...config.hooks.post, ...environment.hooks.post];
    const release: ReleaseState = {
      id,
      project: config.project,
      environment: request.environment,
      status: gate ? "awaiting_approval" : "pending",
      rollbackPolicy: config.rollbackPolicy,
      ...(gate ? { approval: gate } : {}),
      // Stored with `${secret:X}` where a hook or step holds a secret; interpolated again when it runs.
      ...(pre.length + post.length > 0 && !request.fast
        ? { hooks: { pre: restoreEnvPlaceholders(pre), post: restoreEnvPlaceholders(post), done: [] } }
        : {}),
      ...(request.promotedFrom ? { promotedFrom: request.promotedFrom } : {}),
      ...(freeze && request.overrideFreeze
        ? { freezeOverride: { window: freeze.window, reason: request.overrideFreeze, actor: request.actor } }
        : {}),
      revision: 0,
      createdAt: now,
      updatedAt: now,
      createdBy: request.actor,
      services: recordOf(request.services.map(({ service }) => [service, deps.snapshot(service)])),
      rollouts: rollouts.map((r) => ({
        ...r,
        steps: r.steps.map((step) =>
          step.type === "hook"
            ? { ...step, hook: restoreEnvPlaceholders(step.hook) }
            : step.type === "analysis"
              ? { ...step, analysis: restoreEnvPlaceholders(step.analysis) }
              : step,
        ),
        ...(r.backgroundAnalysis ? { backgroundAnalysis: restoreEnvPlaceholders(r.backgroundAnalysis) } : {}),
      })),
    };
    const created: TandemEvent = {
      at: now,
      releaseId: id,
      project: config.project,
      environment: request.environment,
      type: "release.created",
      severity: "info",
      message: `release ${id} created by ${request.actor}: ${rollouts
        .map((r) => `${r.service} ${r.stableVersion ?? "(none)"} -> ${r.version}`)
        .join(
          ", ",
        )} in ${request.environment}${request.promotedFrom ? ` (promoted from ${request.promotedFrom})` : ""}`,
      data: {
        services: request.services,
        actor: request.actor,
        fast: request.fast ?? false,
        order: dag.order,
        needs: dag.needs,
        promotedFrom: request.promotedFrom,
      },
    };
    const events: TandemEvent[] = [created];
    const base = { at: now, releaseId: id, project: config.project, environment: request.environment };
    if (release.freezeOverride) {
      events.push({
        ...base,
        type: "release.freeze_overridden",
        severity: "warning",
        message: `${request.actor} overrode the change freeze (${release.freezeOverride.window}): ${request.overrideFreeze}`,
        data: { ...release.freezeOverride },
      });
    }
    if (gate) {
      events.push({
        ...base,
        type: "approval.requested",
        severity: "warning",
        message: `release ${id} into ${request.environment} waits for approval: ${describeGate(gate)}; \`tandem approve ${id}\``,
        data: {
          gate: "environment",
          approvers: gate.spec.approvers,
          required: gate.spec.required,
          deadline: gate.deadline,
        },
      });
    }
    return { release, events };
  };
  const newId = deps.newId ?? newReleaseId;
  if (request.dryRun) return build(newId(now)).release;
  for (let attempt = 1; ; attempt++) {
    const id = newId(now);
    const { release, events } = build(id);
    try {
      await store.createRelease(release, events, deps.audit?.(release), deps.lease?.(id));
      return (await store.getRelease(id)) ?? release;
    } catch (error) {
      if (!(error instanceof ReleaseExistsError) || attempt >= MAX_ID_ATTEMPTS) throw error;
    }
  }
}

/** Few services: a query each (through the rollouts index), not every active release read whole. */
const PER_SERVICE_LOOKUPS = 16;

async function activeReleasesOf(
  store: Store,
  project: string,
  environment: string,
  services: string[],
): Promise<ReleaseState[]> {
  if (services.length > PER_SERVICE_LOOKUPS)
    return store.listReleases({ project, environment, active: true });
  const found = new Map<string, ReleaseState>();
  for (const service of services) {
    for (const r of await store.listReleases({ project, environment, service, active: true }))
      found.set(r.id, r);
  }
  return [...found.values()];
}

function invalid(message: string, hint: string): TandemError {
  return new TandemError("TANDEM_ERR_INVALID_REQUEST", message, { hint });
}
