import { versionEntry } from "../audit/entries.js";
import type { AuditOrigin } from "../audit/types.js";
import type { VersionMetadata } from "../core/types.js";
import type { Store } from "../store/types.js";
import { readManifest } from "./manifest.js";

export { effectiveProvides } from "./versions.js";

/**
 * The metadata of `service@version`: the stored record if there is one (published by CI, or read
 * from a manifest earlier); else the manifest in `manifestDir` (the version's directory), which is
 * then stored with source "manifest" so later releases and `tandem registry` see it; else undefined:
 * a version without metadata requires nothing and provides only `<service>: <version>`.
 * Storing it leaves a `registry.version_published` audit entry (actor `actor`, `origin`).
 * A manifest with errors throws ConfigError (TANDEM_ERR_CONFIG) located at file:line:col.
 */
export async function resolveVersionMetadata(
  store: Store,
  project: string,
  service: string,
  version: string,
  manifestDir: string | undefined,
  now: number,
  actor: string,
  origin: AuditOrigin = "library",
): Promise<VersionMetadata | undefined> {
  const stored = await store.getVersion(project, service, version);
  if (stored) return stored;
  if (manifestDir === undefined) return undefined;
  const manifest = readManifest(manifestDir);
  if (!manifest) return undefined;
  const metadata: VersionMetadata = {
    project,
    service,
    version,
    provides: manifest.provides,
    requires: manifest.requires,
    publishedAt: now,
    publishedBy: actor,
    source: "manifest",
  };
  await store.putVersion(metadata, [versionEntry(metadata, origin)]);
  return metadata;
}
