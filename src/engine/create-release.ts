import { randomBytes } from "node:crypto";
import type { ServiceConfig, TandemConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { ReleaseState, RolloutState, Step, TandemEvent } from "../core/types.js";
import type { Store } from "../store/types.js";
import { planSteps } from "../strategies/index.js";

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
}

export interface CreateReleaseDeps {
  store: Store;
  config: TandemConfig;
  now: number;
  /** The uninterpolated configuration of a service, stored with the release (no secrets in the store). */
  snapshot(service: string): unknown;
  /** Throws when the service's target cannot start this version at all (Target.verify). */
  verify?(service: string, version: string): void;
}

export function newReleaseId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 13);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

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
  const seen = new Set<string>();
  for (const { service, version } of request.services) {
    if (!config.services[service]) {
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
  const active = await store.listReleases({
    project: config.project,
    environment: request.environment,
    active: true,
  });
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

  const rollouts: RolloutState[] = [];
  for (const { service, version } of request.services) {
    const spec = config.services[service]!;
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
    rollouts.push(newRollout(spec, version, stableVersion, request.fast ?? false, now));
  }

  const id = newReleaseId(now);
  const release: ReleaseState = {
    id,
    project: config.project,
    environment: request.environment,
    status: "pending",
    revision: 0,
    createdAt: now,
    updatedAt: now,
    createdBy: request.actor,
    services: Object.fromEntries(request.services.map(({ service }) => [service, deps.snapshot(service)])),
    rollouts,
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
      .join(", ")} in ${request.environment}`,
    data: { services: request.services, actor: request.actor, fast: request.fast ?? false },
  };
  await store.createRelease(release, [created]);
  return (await store.getRelease(id)) ?? release;
}

function newRollout(
  spec: ServiceConfig,
  version: string,
  stableVersion: string | null,
  fast: boolean,
  now: number,
): RolloutState {
  const replicas = spec.target.replicas;
  const strategySteps = fast
    ? planSteps(
        {
          type: "blueGreen",
          autoPromote: 0,
          scaleDownDelay: 0,
          progressDeadline: spec.strategy.progressDeadline,
        },
        replicas,
        {
          hasStable: stableVersion !== null,
        },
      ).filter((s) => s.type !== "pause")
    : planSteps(spec.strategy, replicas, { hasStable: stableVersion !== null });
  // The stable version is brought to full size first (a no-op unless it was stopped with `tandem down`).
  const steps: Step[] = stableVersion
    ? [{ type: "scale", track: "stable", replicas }, ...strategySteps]
    : strategySteps;
  return {
    service: spec.name,
    version,
    stableVersion,
    status: "pending",
    phase: "progressing",
    steps,
    stepIndex: 0,
    stepStartedAt: now,
    weight: 0,
    replicas: { new: 0, stable: stableVersion ? replicas : 0 },
    desiredReplicas: replicas,
    progressDeadline: spec.strategy.progressDeadline,
    pauseTimeout: spec.pauseTimeout,
  };
}

function invalid(message: string, hint: string): TandemError {
  return new TandemError("TANDEM_ERR_INVALID_REQUEST", message, { hint });
}
