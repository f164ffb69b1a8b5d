/** The version registry: metadata (published or from a manifest) and compatibility checks. */

export {
  type CompatibilityInput,
  checkCompatibility,
  type LiveService,
  type RequirementEdge,
  requirementEdges,
  type ServiceMove,
  type UnmetRequirement,
} from "./compatibility.js";
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
