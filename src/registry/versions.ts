import semver from "semver";
import { recordOf } from "../core/record.js";
import type { VersionMetadata } from "../core/types.js";

/**
 * What a version provides: its published `provides`, plus `<service>: <version>` when the version
 * is valid semver (api@2.4.0 provides `api: 2.4.0`). The implicit entry wins over a published one
 * of the same name: a version cannot claim to be another version of its own service. A version
 * that is not semver (`main-3f2a`) provides only what it publishes.
 */
export function effectiveProvides(
  meta: Pick<VersionMetadata, "provides"> | undefined,
  service: string,
  version: string,
): Record<string, string> {
  // Keyed by service names: a dictionary-mode record (record.ts), not a plain object.
  const provides = recordOf(Object.entries(meta?.provides ?? {}));
  const valid = semver.valid(version);
  if (valid) provides[service] = valid;
  return provides;
}

/** `api@2.4.0` */
export const label = (v: { service: string; version: string }): string => `${v.service}@${v.version}`;

/** semver.satisfies, prereleases included; false for a version or range that does not parse. */
export function satisfiesRange(version: string, range: string): boolean {
  return semver.valid(version) !== null && semver.satisfies(version, range, { includePrerelease: true });
}

/** By service, then by semver (versions that do not parse last, by text). */
export function compareVersions(
  a: { service: string; version: string },
  b: { service: string; version: string },
): number {
  if (a.service !== b.service) return a.service < b.service ? -1 : 1;
  const va = semver.valid(a.version);
  const vb = semver.valid(b.version);
  if (va && vb) return semver.compare(va, vb);
  if (va || vb) return va ? -1 : 1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}
