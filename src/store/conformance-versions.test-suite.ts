import { describe, expect, it } from "vitest";
import type { VersionMetadata } from "../core/types.js";
import { PROJECT } from "./conformance.fixtures.js";
import type { Store } from "./types.js";

function versionMetadata(
  service: string,
  version: string,
  publishedAt: number,
  options: {
    provides?: Record<string, string>;
    requires?: Record<string, string>;
    project?: string;
    source?: VersionMetadata["source"];
  } = {},
): VersionMetadata {
  return {
    project: options.project ?? PROJECT,
    service,
    version,
    provides: options.provides ?? {},
    requires: options.requires ?? {},
    publishedAt,
    publishedBy: "ci",
    source: options.source ?? "publish",
  };
}

/** Conformance: version metadata (putVersion, getVersion, listVersions). */
export function versionConformance(store: () => Store): void {
  const names = (list: { service: string; version: string }[]) =>
    list.map((v) => `${v.service}@${v.version}`);

  describe("versions", () => {
    it("knows no version before one is published", async () => {
      expect(await store().getVersion(PROJECT, "api", "2.4.0")).toBeUndefined();
      expect(await store().listVersions(PROJECT)).toEqual([]);
    });

    it("stores provides and requires and returns them intact", async () => {
      const api = versionMetadata("api", "2.4.0", 1_000, {
        provides: { "orders-api": "3.1.0", "billing-api": "1.0.0" },
        requires: { db: ">=1.2.0 <2", auth: "^3.0.0-rc.1" },
      });
      await store().putVersion(api);
      expect(await store().getVersion(PROJECT, "api", "2.4.0")).toEqual(api);
      expect(await store().getVersion(PROJECT, "api", "2.4.1")).toBeUndefined();
      expect(await store().getVersion(PROJECT, "web", "2.4.0")).toBeUndefined();
      expect(await store().getVersion("elsewhere", "api", "2.4.0")).toBeUndefined();
    });

    it("keeps empty provides and requires as empty objects, and the source", async () => {
      const web = versionMetadata("web", "1.0.0", 1_000, { source: "manifest" });
      await store().putVersion(web);
      const stored = await store().getVersion(PROJECT, "web", "1.0.0");
      expect(stored).toEqual(web);
      expect(stored?.provides).toEqual({});
      expect(stored?.source).toBe("manifest");
    });

    it("replaces the record of the same project, service and version (upsert)", async () => {
      await store().putVersion(versionMetadata("api", "2.4.0", 1_000, { requires: { db: "^1" } }));
      const republished = versionMetadata("api", "2.4.0", 2_000, {
        requires: { db: "^2" },
        provides: { "orders-api": "3.2.0" },
      });
      await store().putVersion(republished);
      expect(await store().getVersion(PROJECT, "api", "2.4.0")).toEqual(republished);
      expect(await store().listVersions(PROJECT, "api")).toEqual([republished]);
    });

    it("lists newest published first, per service or all, per project", async () => {
      await store().putVersion(versionMetadata("api", "2.3.0", 1_000));
      await store().putVersion(versionMetadata("web", "1.7.0", 1_500));
      await store().putVersion(versionMetadata("api", "2.5.0", 3_000));
      await store().putVersion(versionMetadata("api", "2.4.0", 2_000));
      await store().putVersion(versionMetadata("api", "9.0.0", 9_000, { project: "elsewhere" }));
      expect(names(await store().listVersions(PROJECT, "api"))).toEqual([
        "api@2.5.0",
        "api@2.4.0",
        "api@2.3.0",
      ]);
      expect(names(await store().listVersions(PROJECT))).toEqual([
        "api@2.5.0",
        "api@2.4.0",
        "web@1.7.0",
        "api@2.3.0",
      ]);
      expect(await store().listVersions(PROJECT, "db")).toEqual([]);
      expect(names(await store().listVersions("elsewhere"))).toEqual(["api@9.0.0"]);
    });

    it("moves a republished version to its new publishedAt in the list", async () => {
      await store().putVersion(versionMetadata("api", "2.3.0", 1_000));
      await store().putVersion(versionMetadata("api", "2.4.0", 2_000));
      await store().putVersion(versionMetadata("api", "2.3.0", 3_000));
      expect(names(await store().listVersions(PROJECT, "api"))).toEqual(["api@2.3.0", "api@2.4.0"]);
    });
  });
}
