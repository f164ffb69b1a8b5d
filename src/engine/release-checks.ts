import { resolve } from "node:path";
import type { TandemConfig } from "../core/config.js";
import { serviceIn } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { VersionMetadata } from "../core/types.js";
import { activeFreeze, describeFreeze } from "../environments/freeze.js";
import { checkPromotionOrder } from "../environments/promotion.js";
import { checkCompatibility } from "../registry/compatibility.js";
import { requirementEdges } from "../registry/requirement-edges.js";
import type { Store } from "../store/types.js";
import { planDag, precedes, type ReleaseDag } from "./planner.js";

/** What is checked before a release is created: nothing moves when one of these says no. */

export interface Move {
  service: string;
  version: string;
  stableVersion: string | null;
}

export interface FreezeDecision {
  window: string;
  until: number;
}

/** Throws unless the environment is open for changes, or the freeze is overridden with a reason. */
export function checkFreeze(
  config: TandemConfig,
  environment: string,
  now: number,
  override: string | undefined,
): FreezeDecision | undefined {
  const windows = config.environments[environment]?.freeze ?? [];
  const active = activeFreeze(windows, now);
  if (!active) return undefined;
  if (override === undefined || override.trim() === "") {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `${environment} is in a change freeze: ${describeFreeze(active.window, active.until, active.endless)}`,
      { hint: 'wait until it ends, or override it with a reason: --override-freeze "hotfix for INC-123"' },
    );
  }
  return { window: describeFreeze(active.window, active.until, active.endless), until: active.until };
}

export { checkPromotionOrder };

/** The directory a version's manifest (tandem-version.yaml) ships in, when the target has one. */
export function versionDirectory(
  config: TandemConfig,
  environment: string,
  service: string,
  version: string,
) {
  const target = serviceIn(config, environment, service)?.target;
  if (target?.type !== "process" || target.cwd === undefined) return undefined;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the target's own placeholder, not a template
  return resolve(config.baseDir, target.cwd.replaceAll("${version}", version));
}

export interface CompatibilityDeps {
  store: Store;
  config: TandemConfig;
  environment: string;
  /** Metadata of a version (published, or read from its manifest), or undefined when it has none. */
  metadata(service: string, version: string): Promise<VersionMetadata | undefined>;
}

/**
 * The services outside the release whose live version the compatibility check must see. A version
 * without metadata (none stored, no manifest directory) requires nothing and provides only
 * `<service>: <version>`, so such a service matters only when a version in the release requires it by
 * name. Hence: those, plus services with stored metadata or a manifest directory. A release of a few
 * services among thousands reads a few stable versions, not every one.
 */
async function liveToCheck(
  moves: ReadonlyArray<{ service: string; toMeta?: VersionMetadata; fromMeta?: VersionMetadata }>,
  known: readonly VersionMetadata[],
  deps: CompatibilityDeps,
): Promise<string[]> {
  const { config, environment } = deps;
  const moving = new Set(moves.map((m) => m.service));
  const named = new Set(
    moves.flatMap((m) => [
      ...Object.keys(m.toMeta?.requires ?? {}),
      ...Object.keys(m.fromMeta?.requires ?? {}),
    ]),
  );
  const candidates = new Set([
    ...named,
    ...known.map((v) => v.service),
    ...withManifests(config, environment),
  ]);
  const position = servicePositions(config);
  return [...candidates]
    .filter((service) => !moving.has(service) && position.has(service))
    .sort((a, b) => position.get(a)! - position.get(b)!);
}

const positions = new WeakMap<TandemConfig, Map<string, number>>();

/** Where each service stands in the configuration (the order the live versions are checked in). */
function servicePositions(config: TandemConfig): Map<string, number> {
  let found = positions.get(config);
  if (!found) {
    found = new Map(Object.keys(config.services).map((service, index) => [service, index]));
    positions.set(config, found);
  }
  return found;
}

const manifestServices = new WeakMap<TandemConfig, Map<string, string[]>>();

/** The services of an environment whose versions may ship a manifest; once per configuration. */
function withManifests(config: TandemConfig, environment: string): string[] {
  let byEnvironment = manifestServices.get(config);
  if (!byEnvironment) {
    byEnvironment = new Map();
    manifestServices.set(config, byEnvironment);
  }
  let services = byEnvironment.get(environment);
  if (!services) {
    services = Object.keys(config.services).filter(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the target's own placeholder
      (service) => versionDirectory(config, environment, service, "${version}") !== undefined,
    );
    byEnvironment.set(environment, services);
  }
  return services;
}

/**
 * Builds the release DAG (dependsOn + requirements between the new versions) and checks that every
 * requirement holds at every moment of it. Throws with each unmet requirement and what would satisfy it.
 */
export async function planAndCheck(moves: Move[], deps: CompatibilityDeps): Promise<ReleaseDag> {
  const { config, environment, store } = deps;
  const withMeta = await Promise.all(
    moves.map(async (move) => ({
      service: move.service,
      from: move.stableVersion,
      to: move.version,
      toMeta: await deps.metadata(move.service, move.version),
      fromMeta: move.stableVersion ? await deps.metadata(move.service, move.stableVersion) : undefined,
    })),
  );
  const dag = planDag(
    moves.map((m) => ({
      service: m.service,
      dependsOn: serviceIn(config, environment, m.service)!.dependsOn,
    })),
    requirementEdges(withMeta),
  );
  const known = await store.listVersions(config.project);
  const live = [];
  for (const service of await liveToCheck(withMeta, known, deps)) {
    const stable = await store.getStable(config.project, environment, service);
    if (!stable) continue;
    live.push({ service, version: stable.version, meta: await deps.metadata(service, stable.version) });
  }
  const unmet = checkCompatibility({
    environment,
    moves: withMeta,
    live,
    precedes: (a, b) => precedes(dag, a, b),
    known,
  });
  if (unmet.length > 0) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `the release would break version requirements:\n${unmet.map((u) => `  - ${u.message}`).join("\n")}`,
      {
        hint: unmet.map((u) => u.suggestion).filter(Boolean)[0] ?? "`tandem registry` shows what runs where",
      },
    );
  }
  return dag;
}
