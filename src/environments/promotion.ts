import type { TandemConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import { isTerminal } from "../core/types.js";
import type { Store } from "../store/types.js";

/** The environments a release of `from` promotes to: those declared `after: <from>`, in file order. */
export function nextEnvironments(config: TandemConfig, from: string): string[] {
  return Object.entries(config.environments)
    .filter(([, environment]) => environment.after === from)
    .map(([name]) => name);
}

export interface ServiceVersion {
  service: string;
  version: string;
}

/**
 * Whether `service@version` succeeded in `environment` and stayed: its rollout succeeded in a finished
 * release. Usually that release succeeded; under `rollbackPolicy: service` a release that failed
 * elsewhere leaves its succeeded services live, and they count (a backed-out one is `rolled_back`).
 */
export async function succeededIn(
  store: Store,
  project: string,
  environment: string,
  { service, version }: ServiceVersion,
): Promise<boolean> {
  const releases = await store.listReleases({
    project,
    environment,
    service,
    statuses: ["succeeded", "failed", "rolled_back", "aborted"],
  });
  return releases.some(
    (release) =>
      isTerminal(release.status) &&
      release.rollouts.some(
        (rollout) =>
          rollout.service === service && rollout.version === version && rollout.status === "succeeded",
      ),
  );
}

/**
 * An environment declared `after: X` accepts only versions that already succeeded in X. Throws
 * TANDEM_ERR_INVALID_REQUEST naming every service@version that has not, and how to get it there.
 */
export async function checkPromotionOrder(
  store: Store,
  config: TandemConfig,
  environment: string,
  services: readonly ServiceVersion[],
): Promise<void> {
  const previous = config.environments[environment]?.after;
  if (previous === undefined) return;
  const missing: string[] = [];
  for (const entry of services) {
    if (!(await succeededIn(store, config.project, previous, entry)))
      missing.push(`${entry.service}@${entry.version}`);
  }
  if (missing.length === 0) return;
  const one = missing.length === 1;
  throw new TandemError(
    "TANDEM_ERR_INVALID_REQUEST",
    `${listed(missing)} ${one ? "has" : "have"} not succeeded in ${previous} yet, and ${environment} only accepts ` +
      `versions that did (environments.${environment}.after: ${previous})`,
    {
      hint:
        `release ${one ? "it" : "them"} to ${previous} first: tandem deploy ${missing.join(" ")} --env ${previous}; ` +
        `once that release succeeded, tandem promote RELEASE --to ${environment}`,
    },
  );
}

/** `a`, `a and b`, `a, b and c` */
function listed(items: readonly string[]): string {
  return items.length === 1 ? items[0]! : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
