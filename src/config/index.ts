export { type InterpolationProblem, interpolateEnv, interpolateEnvString } from "./interpolate.js";
export { configJsonSchema } from "./json-schema.js";
export {
  DEFAULT_CONFIG_FILE,
  INLINE_FILE,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  loadConfigWithRaw,
  parseConfig,
  parseConfigWithRaw,
  parseServiceSnapshot,
  type RawConfig,
  type ServiceSnapshot,
} from "./loader.js";
export { clearSecrets, redactSecrets, registerSecret } from "./redact.js";
export { ROUTER_TYPES, TARGET_TYPES } from "./schema.js";
export { PROBE_TYPES } from "./schema-probes.js";
export { DEFAULT_CANARY_STEPS } from "./schema-strategy.js";
export { initTemplate } from "./template.js";
