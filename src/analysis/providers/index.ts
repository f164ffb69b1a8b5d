import { UnknownTypeError } from "../../core/errors.js";
import type { MetricProvider } from "../types.js";
import { JobProvider } from "./job.js";
import { PrometheusProvider } from "./prometheus.js";
import { ResourcesProvider } from "./resources.js";
import type { ProviderConfig, ProviderDeps } from "./types.js";
import { WebProvider } from "./web.js";

export const PROVIDER_TYPES = ["prometheus", "web", "job", "resources"] as const;

/**
 * The metric provider for an analysis metric's configuration; an unknown `type` is an error, never a
 * default. A configuration a provider cannot work with (an empty query, an unknown placeholder, an
 * invalid timeout) throws a TandemError with code TANDEM_ERR_CONFIG here, never at measure time.
 */
export function createProvider(config: ProviderConfig, deps: ProviderDeps = {}): MetricProvider {
  switch (config.type) {
    case "prometheus":
      return new PrometheusProvider(config);
    case "web":
      return new WebProvider(config);
    case "job":
      return new JobProvider(config);
    case "resources":
      return new ResourcesProvider(config, deps);
    default:
      throw new UnknownTypeError(
        "metric provider",
        String((config as { type: unknown }).type),
        PROVIDER_TYPES,
      );
  }
}

export { JobProvider } from "./job.js";
export { escapePromQLString, interpretQueryResponse, PrometheusProvider } from "./prometheus.js";
export { ResourcesProvider } from "./resources.js";
export type {
  JobProviderConfig,
  PrometheusProviderConfig,
  ProviderConfig,
  ProviderDeps,
  ProviderType,
  ResourcesProviderConfig,
  WebProviderConfig,
} from "./types.js";
export { pickNumber, WebProvider } from "./web.js";
