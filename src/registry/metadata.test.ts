import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite.js";
import { effectiveProvides, resolveVersionMetadata } from "./metadata.js";

describe("effectiveProvides", () => {
  it("adds <service>: <version> to what the version publishes", () => {
    expect(effectiveProvides({ provides: { "orders-api": "3.1.0" } }, "api", "2.4.0")).toEqual({
      "orders-api": "3.1.0",
      api: "2.4.0",
    });
    expect(effectiveProvides(undefined, "api", "2.4.0-rc.1")).toEqual({ api: "2.4.0-rc.1" });
  });

  it("adds nothing for a version that is not semver, and the implicit entry wins over a published one", () => {
    expect(effectiveProvides({ provides: { api: "2.4.0" } }, "api", "main-3f2a")).toEqual({ api: "2.4.0" });
    expect(effectiveProvides(undefined, "api", "latest")).toEqual({});
    expect(effectiveProvides({ provides: { api: "9.9.9" } }, "api", "2.4.0")).toEqual({ api: "2.4.0" });
  });

  it("does not change the metadata it is given", () => {
    const meta = { provides: { x: "1.0.0" } };
    effectiveProvides(meta, "api", "2.4.0");
    expect(meta.provides).toEqual({ x: "1.0.0" });
  });
});

describe("resolveVersionMetadata", () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-metadata-"));
    store = new SqliteStore(":memory:");
    await store.migrate();
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const published = {
    project: "shop",
    service: "web",
    version: "1.8.0",
    provides: {},
    requires: { api: "^2.4" },
    publishedAt: 500,
    publishedBy: "ci",
    source: "publish" as const,
  };

  it("returns the stored record first, ignoring a manifest", async () => {
    await store.putVersion(published);
    writeFileSync(join(dir, "tandem-version.yaml"), "requires: { api: ^9 }\n");
    expect(await resolveVersionMetadata(store, "shop", "web", "1.8.0", dir, 1_000, "alice")).toEqual(
      published,
    );
  });

  it("reads the manifest when nothing is stored, and stores it with source manifest", async () => {
    writeFileSync(join(dir, "tandem-version.yaml"), "provides: { web-ui: 1.0.0 }\nrequires: { api: ^2.4 }\n");
    const expected = {
      project: "shop",
      service: "web",
      version: "1.8.0",
      provides: { "web-ui": "1.0.0" },
      requires: { api: "^2.4" },
      publishedAt: 1_000,
      publishedBy: "alice",
      source: "manifest",
    };
    expect(await resolveVersionMetadata(store, "shop", "web", "1.8.0", dir, 1_000, "alice")).toEqual(
      expected,
    );
    expect(await store.getVersion("shop", "web", "1.8.0")).toEqual(expected);
  });

  it("is undefined without a stored record and without a manifest (or a directory)", async () => {
    expect(await resolveVersionMetadata(store, "shop", "web", "1.8.0", dir, 1_000, "alice")).toBeUndefined();
    expect(
      await resolveVersionMetadata(store, "shop", "web", "1.8.0", undefined, 1_000, "alice"),
    ).toBeUndefined();
    expect(await store.listVersions("shop")).toEqual([]);
  });

  it("throws a located TANDEM_ERR_CONFIG for a bad manifest, storing nothing", async () => {
    writeFileSync(join(dir, "tandem-version.yaml"), "requires: { api: two }\n");
    await expect(
      resolveVersionMetadata(store, "shop", "web", "1.8.0", dir, 1_000, "alice"),
    ).rejects.toMatchObject({
      code: "TANDEM_ERR_CONFIG",
      message: expect.stringContaining("tandem-version.yaml:1:18"),
    });
    expect(await store.listVersions("shop")).toEqual([]);
  });
});
