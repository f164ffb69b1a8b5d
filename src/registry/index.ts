/** The version registry: metadata (published or from a manifest) and compatibility checks. */

export { checkCompatibility } from "./compatibility.js";
export {
  MANIFEST_FILES,
  parseManifest,
  parsePairs,
  rangeProblem,
  readManifest,
  readManifestFile,
  type VersionManifest,
  versionProblem,
} from "./manifest.js";
export { effectiveProvides, resolveVersionMetadata } from "./metadata.js";
export { type RequirementEdge, requirementEdges } from "./requirement-edges.js";
export type { CompatibilityInput, LiveService, ServiceMove, UnmetRequirement } from "./types.js";
export { satisfiesRange } from "./versions.js";
export {
  type EnvironmentRegistry,
  type ProviderCheck,
  type PublishRequest,
  publishVersion,
  type RegistryView,
  type RequirementCheck,
  registryView,
  requirementChecks,
  type StableVersion,
  serviceVersions,
} from "./view.js";
