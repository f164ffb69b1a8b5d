import type { TandemConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { Store } from "../store/types.js";
import type { AnalyticsInput } from "./history.js";
import { computeReport, reportWindow } from "./report.js";
import type { DeliveryReport, ReportOptions } from "./types.js";

/**
 * Reads what the analytics need from the store: the project's releases, its version metadata, and
 * which releases `tandem rollback` started (the first event of each release, `release.created`,
 * says `fast`). The only part of src/analytics/ that does I/O.
 */
export async function readAnalyticsInput(
  store: Store,
  config: Pick<TandemConfig, "project" | "environments" | "services">,
  filter: { environment?: string; service?: string } = {},
): Promise<AnalyticsInput> {
  checkName("environment", filter.environment, Object.keys(config.environments));
  checkName("service", filter.service, Object.keys(config.services));
  const releases = await store.listReleases({
    project: config.project,
    environment: filter.environment,
    service: filter.service,
  });
  const rollbackReleaseIds: string[] = [];
  for (const release of releases) {
    const [created] = await store.listEvents({ releaseId: release.id, limit: 1 });
    if (created?.type === "release.created" && created.data?.fast === true)
      rollbackReleaseIds.push(release.id);
  }
  return {
    project: config.project,
    releases,
    versions: await store.listVersions(config.project, filter.service),
    rollbackReleaseIds,
    environments: Object.keys(config.environments),
    services: Object.keys(config.services),
  };
}

/** The delivery report of the configured project, read from its store. */
export async function deliveryReport(
  store: Store,
  config: Pick<TandemConfig, "project" | "environments" | "services">,
  options: ReportOptions,
): Promise<DeliveryReport> {
  reportWindow(options); // the range limits, before the store is read
  const input = await readAnalyticsInput(store, config, options);
  return computeReport(input, options);
}

function checkName(kind: string, name: string | undefined, known: string[]): void {
  if (name === undefined || known.includes(name)) return;
  throw new TandemError(
    "TANDEM_ERR_INVALID_REQUEST",
    `unknown ${kind} "${name}"; ${kind}s: ${known.join(", ")}`,
  );
}
