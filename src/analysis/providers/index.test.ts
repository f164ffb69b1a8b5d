import { describe, expect, it } from "vitest";
import { TandemError, UnknownTypeError } from "../../core/errors.js";
import { createProvider, JobProvider, PrometheusProvider, ResourcesProvider, WebProvider } from "./index.js";
import type { ProviderConfig } from "./types.js";

describe("createProvider", () => {
  it("builds each provider type", () => {
    expect(
      createProvider({ type: "prometheus", address: "http://127.0.0.1:9090", query: "up" }),
    ).toBeInstanceOf(PrometheusProvider);
    expect(createProvider({ type: "web", url: "http://127.0.0.1/x", jsonPath: "$.x" })).toBeInstanceOf(
      WebProvider,
    );
    expect(createProvider({ type: "job", command: ["true"] })).toBeInstanceOf(JobProvider);
    expect(
      createProvider({ type: "resources", metric: "cpu" }, { instancePids: async () => [] }),
    ).toBeInstanceOf(ResourcesProvider);
  });

  it("throws UnknownTypeError for an unknown type, naming the known ones", () => {
    const config = { type: "datadog" } as unknown as ProviderConfig;
    expect(() => createProvider(config)).toThrow(UnknownTypeError);
    expect(() => createProvider(config)).toThrow(
      'unknown metric provider type "datadog"; known types: prometheus, web, job, resources',
    );
  });

  it("throws a configuration error for a configuration a provider cannot use", () => {
    try {
      createProvider({ type: "resources", metric: "disk" } as unknown as ProviderConfig);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TandemError);
      expect((error as TandemError).code).toBe("TANDEM_ERR_CONFIG");
    }
  });
});
