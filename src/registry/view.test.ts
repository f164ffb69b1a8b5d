import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { INLINE_FILE, parseConfig } from "../config/index.js";
import { release } from "../store/conformance.fixtures.js";
import { SqliteStore } from "../store/sqlite.js";
import { meta } from "./compatibility.fixtures.js";
import { publishVersion, registryView, requirementChecks, serviceVersions } from "./view.js";

const config = parseConfig(
  `project: shop
environments: { staging: {}, production: {} }
services:
  api: { target: { type: sim } }
  web: { target: { type: sim } }
`,
  INLINE_FILE,
);

describe("requirementChecks", () => {
  it("checks each live requirement against the other live providers", () => {
    const checks = requirementChecks([
      { service: "api", version: "2.3.1", metadata: meta("api", "2.3.1", {}, { "orders-api": "1.0.0" }) },
      {
        service: "web",
        version: "1.8.0",
        metadata: meta("web", "1.8.0", { api: "^2.4", "orders-api": "^1", db: "^1" }),
      },
      { service: "db", version: null },
    ]);
    expect(checks).toEqual([
      {
        consumer: "web@1.8.0",
        requirement: "api",
        range: "^2.4",
        satisfied: false,
        providers: [{ provider: "api@2.3.1", provides: "2.3.1", satisfies: false }],
      },
      {
        consumer: "web@1.8.0",
        requirement: "orders-api",
        range: "^1",
        satisfied: true,
        providers: [{ provider: "api@2.3.1", provides: "1.0.0", satisfies: true }],
      },
      { consumer: "web@1.8.0", requirement: "db", range: "^1", satisfied: false, providers: [] },
    ]);
  });
});

describe("registryView, publishVersion, serviceVersions", () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = new SqliteStore(":memory:");
    await store.migrate();
  });
  afterEach(() => store.close());

  it("publishes with source publish, the actor and the time, replacing an earlier record", async () => {
    const request = { service: "web", version: "1.8.0", actor: "ci", now: 5_000 };
    await publishVersion(store, config, { ...request, metadata: { provides: {}, requires: { api: "^2" } } });
    const stored = await publishVersion(store, config, {
      ...request,
      now: 6_000,
      metadata: { provides: {}, requires: { api: "^2.4" } },
    });
    expect(stored).toEqual({ ...meta("web", "1.8.0", { api: "^2.4" }), publishedAt: 6_000 });
    expect(await serviceVersions(store, config, "web")).toEqual([stored]);
  });

  it("refuses an unknown service (listing the services), a bad version and a provides that is not exact", async () => {
    const base = { version: "1.0.0", actor: "ci", now: 1, metadata: { provides: {}, requires: {} } };
    await expect(publishVersion(store, config, { ...base, service: "wbe" })).rejects.toMatchObject({
      code: "TANDEM_ERR_INVALID_REQUEST",
      message: 'unknown service "wbe"; services: api, web',
      hint: 'did you mean "web"?',
    });
    await expect(
      publishVersion(store, config, { ...base, service: "web", version: "web@1" }),
    ).rejects.toThrow(/not a version/);
    const provides = { provides: { x: "^1" }, requires: {} };
    await expect(
      publishVersion(store, config, { ...base, service: "web", metadata: provides }),
    ).rejects.toThrow(/provides x: "\^1" is not an exact semver version/);
    await expect(serviceVersions(store, config, "nope")).rejects.toThrow(/unknown service "nope"/);
    expect(await store.listVersions("shop")).toEqual([]);
  });

  it("shows every environment's stable versions with their metadata and requirements, or one environment", async () => {
    await store.putVersion(meta("web", "1.8.0", { api: "^2.4" }));
    await store.createRelease(release("r1"), []);
    await store.writeRelease({
      release: (await store.getRelease("r1"))!,
      expectedRevision: 0,
      registry: [
        {
          project: "shop",
          environment: "staging",
          service: "api",
          version: "2.4.0",
          releaseId: "r1",
          at: 10,
        },
        {
          project: "shop",
          environment: "staging",
          service: "web",
          version: "1.8.0",
          releaseId: "r1",
          at: 10,
        },
      ],
    });
    const view = await registryView(store, config);
    expect(view.environments.map((e) => e.environment)).toEqual(["staging", "production"]);
    const [staging, production] = view.environments;
    expect(staging?.services).toEqual([
      { service: "api", version: "2.4.0", releaseId: "r1", at: 10 },
      {
        service: "web",
        version: "1.8.0",
        releaseId: "r1",
        at: 10,
        metadata: meta("web", "1.8.0", { api: "^2.4" }),
      },
    ]);
    expect(staging?.requirements.map((r) => [r.consumer, r.requirement, r.satisfied])).toEqual([
      ["web@1.8.0", "api", true],
    ]);
    expect(production?.services.map((s) => s.version)).toEqual([null, null]);
    expect((await registryView(store, config, "production")).environments.map((e) => e.environment)).toEqual([
      "production",
    ]);
    await expect(registryView(store, config, "prod")).rejects.toThrow(/unknown environment "prod"/);
  });
});
