import { versionEntry } from "../audit/entries.js";
import type { AuditOrigin } from "../audit/types.js";
import { closestMatch } from "../config/suggest.js";
import { normalizeActor } from "../core/actor.js";
import type { TandemConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { VersionMetadata } from "../core/types.js";
import type { Store } from "../store/types.js";
import { type VersionManifest, versionProblem } from "./manifest.js";
import { effectiveProvides, label, satisfiesRange } from "./versions.js";

/**
 * What `tandem registry` shows (and the HTTP API will serve): which version of each service is
 * stable in each environment, and whether the live versions meet each other's requirements.
 */

/** The stable version of a service in an environment, and the release that made it so. */
export interface StableVersion {
  service: string;
  /** Null when the service never succeeded in this environment. */
  version: string | null;
  releaseId?: string;
  /** When it became stable (ms since epoch). */
  at?: number;
  /** Its metadata, when published or read from a manifest. */
  metadata?: VersionMetadata;
}

/** A live version providing a requirement. */
export interface ProviderCheck {
  /** `api@2.4.0` */
  provider: string;
  /** The version it provides of the requirement. */
  provides: string;
  satisfies: boolean;
}

/** One requirement of one live version, against the versions live beside it. */
export interface RequirementCheck {
  /** `web@1.8.0` */
  consumer: string;
  requirement: string;
  range: string;
  /** True when at least one other live service provides it and every one satisfies the range. */
  satisfied: boolean;
  providers: ProviderCheck[];
}

export interface EnvironmentRegistry {
  environment: string;
  services: StableVersion[];
  requirements: RequirementCheck[];
}

export interface RegistryView {
  project: string;
  environments: EnvironmentRegistry[];
}

export function assertService(config: TandemConfig, service: string): void {
  if (config.services[service]) return;
  const known = Object.keys(config.services);
  const close = closestMatch(service, known);
  throw new TandemError(
    "TANDEM_ERR_INVALID_REQUEST",
    `unknown service "${service}"; services: ${known.join(", ")}`,
    {
      hint: close
        ? `did you mean "${close}"?`
        : `services are declared under \`services:\` in ${config.file}`,
    },
  );
}

export function assertEnvironment(config: TandemConfig, environment: string): void {
  if (config.environments[environment]) return;
  throw new TandemError(
    "TANDEM_ERR_INVALID_REQUEST",
    `unknown environment "${environment}"; environments: ${Object.keys(config.environments).join(", ")}`,
  );
}

/** Each live version's requirements against the other live versions (the current state). */
export function requirementChecks(live: StableVersion[]): RequirementCheck[] {
  const running = live.flatMap((s) =>
    s.version === null
      ? []
      : [
          {
            service: s.service,
            version: s.version,
            provides: effectiveProvides(s.metadata, s.service, s.version),
          },
        ],
  );
  const checks: RequirementCheck[] = [];
  for (const consumer of live) {
    if (consumer.version === null || !consumer.metadata) continue;
    for (const [requirement, range] of Object.entries(consumer.metadata.requires)) {
      const providers = running
        .filter((p) => p.service !== consumer.service && p.provides[requirement] !== undefined)
        .map((p) => {
          const provides = p.provides[requirement]!;
          return { provider: label(p), provides, satisfies: satisfiesRange(provides, range) };
        });
      checks.push({
        consumer: label({ service: consumer.service, version: consumer.version }),
        requirement,
        range,
        satisfied: providers.length > 0 && providers.every((p) => p.satisfies),
        providers,
      });
    }
  }
  return checks;
}

/** What runs where, with metadata and the compatibility matrix; one environment or all of them. */
export async function registryView(
  store: Store,
  config: TandemConfig,
  environment?: string,
): Promise<RegistryView> {
  if (environment !== undefined) assertEnvironment(config, environment);
  const environments = environment === undefined ? Object.keys(config.environments) : [environment];
  const result: RegistryView = { project: config.project, environments: [] };
  for (const env of environments) {
    const services: StableVersion[] = [];
    for (const service of Object.keys(config.services)) {
      const stable = await store.getStable(config.project, env, service);
      if (!stable) {
        services.push({ service, version: null });
        continue;
      }
      const metadata = await store.getVersion(config.project, service, stable.version);
      services.push({
        service,
        version: stable.version,
        releaseId: stable.releaseId,
        at: stable.at,
        ...(metadata ? { metadata } : {}),
      });
    }
    result.environments.push({ environment: env, services, requirements: requirementChecks(services) });
  }
  return result;
}

export interface PublishRequest {
  service: string;
  version: string;
  /** Replaces what was published before for this version. */
  metadata: VersionManifest;
  actor: string;
  now: number;
  /** For the audit trail. Default "library". */
  origin?: AuditOrigin;
}

/** Stores what a version provides and requires (source "publish"), replacing an earlier record. */
export async function publishVersion(
  store: Store,
  config: TandemConfig,
  request: PublishRequest,
): Promise<VersionMetadata> {
  assertService(config, request.service);
  if (request.version.trim() === "" || /[\s@/]/.test(request.version)) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `"${request.version}" is not a version`, {
      hint: "write it like 2.4.0",
    });
  }
  for (const [name, version] of Object.entries(request.metadata.provides)) {
    const problem = versionProblem(version);
    if (problem) throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `provides ${name}: ${problem}`);
  }
  const metadata: VersionMetadata = {
    project: config.project,
    service: request.service,
    version: request.version,
    provides: request.metadata.provides,
    requires: request.metadata.requires,
    publishedAt: request.now,
    publishedBy: normalizeActor(request.actor),
    source: "publish",
  };
  await store.putVersion(metadata, [versionEntry(metadata, request.origin ?? "library")]);
  return metadata;
}

/** The published versions of a service, newest first. */
export async function serviceVersions(
  store: Store,
  config: TandemConfig,
  service: string,
): Promise<VersionMetadata[]> {
  assertService(config, service);
  return store.listVersions(config.project, service);
}

/** The version that was stable before the current one, for a rollback; none is an error saying what to do. */
export async function previousVersion(
  store: Store,
  project: string,
  environment: string,
  service: string,
): Promise<string> {
  const history = (await store.registryHistory(project, environment, service)).filter(
    (entry) => entry.version !== "",
  );
  const current = history[0]?.version;
  const previous = history.find((entry) => entry.version !== current)?.version;
  if (!previous) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `no earlier version of ${service} in ${environment}`,
      {
        hint: "name one with --to VERSION",
      },
    );
  }
  return previous;
}
