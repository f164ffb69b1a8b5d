import { describe, expect, it } from "vitest";
import { instance, PROJECT, registryEntry, release, routerRecord } from "./conformance.fixtures.js";
import type { Store } from "./types.js";

/** Conformance: registry, instances, routers and leases. */
export function sideTableConformance(store: () => Store): void {
  /** Registry entries are written only with a release (writeRelease), as the engine does. */
  let recorded = 0;
  async function recordStable(...entries: ReturnType<typeof registryEntry>[]): Promise<void> {
    recorded += 1;
    const id = `registry-writer-${recorded}`;
    await store().createRelease(release(id), []);
    await store().writeRelease({ release: release(id), expectedRevision: 0, registry: entries });
  }

  describe("registry", () => {
    it("has no stable version before the first success", async () => {
      expect(await store().getStable(PROJECT, "staging", "api")).toBeUndefined();
      expect(await store().registryHistory(PROJECT, "staging")).toEqual([]);
    });

    it("takes the newest entry as the stable version, per environment", async () => {
      await recordStable(registryEntry("api", "1.0.0", 1_000));
      await recordStable(registryEntry("api", "2.0.0", 2_000));
      await recordStable(registryEntry("api", "3.0.0", 3_000, { environment: "production" }));
      expect((await store().getStable(PROJECT, "staging", "api"))?.version).toBe("2.0.0");
      expect((await store().getStable(PROJECT, "production", "api"))?.version).toBe("3.0.0");
      expect(await store().getStable(PROJECT, "staging", "web")).toBeUndefined();
      expect(await store().getStable("elsewhere", "staging", "api")).toBeUndefined();
    });

    it("breaks ties in time by insertion: the later entry is stable", async () => {
      await recordStable(registryEntry("api", "2.0.0", 5_000));
      await recordStable(registryEntry("api", "1.0.0", 5_000, { releaseId: "rollback" }));
      expect(await store().getStable(PROJECT, "staging", "api")).toEqual(
        registryEntry("api", "1.0.0", 5_000, { releaseId: "rollback" }),
      );
    });

    it("lists the stable version of every service of an environment at once, as getStable gives each", async () => {
      expect(await store().listStable(PROJECT, "staging")).toEqual([]);
      await recordStable(registryEntry("web", "1.0.0", 1_000), registryEntry("api", "1.0.0", 1_000));
      await recordStable(registryEntry("api", "2.0.0", 2_000));
      await recordStable(registryEntry("api", "1.5.0", 2_000, { releaseId: "rollback" }));
      await recordStable(registryEntry("db", "1.0.0", 1_000), registryEntry("db", "", 3_000));
      await recordStable(registryEntry("api", "9.0.0", 9_000, { environment: "production" }));
      const stable = await store().listStable(PROJECT, "staging");
      expect(stable).toEqual([
        registryEntry("api", "1.5.0", 2_000, { releaseId: "rollback" }),
        registryEntry("web", "1.0.0", 1_000),
      ]);
      for (const entry of stable)
        expect(await store().getStable(PROJECT, "staging", entry.service)).toEqual(entry);
      expect(await store().listStable("elsewhere", "staging")).toEqual([]);
    });

    it("lists history newest first, per service or all, with a limit", async () => {
      await recordStable(registryEntry("api", "1.0.0", 1_000), registryEntry("web", "1.0.0", 1_000));
      await recordStable(registryEntry("api", "2.0.0", 2_000));
      await recordStable(registryEntry("web", "1.1.0", 3_000));
      await recordStable(registryEntry("api", "9.9.9", 9_000, { environment: "production" }));
      const versions = (entries: { service: string; version: string }[]) =>
        entries.map((e) => `${e.service}@${e.version}`);
      expect(versions(await store().registryHistory(PROJECT, "staging", "api"))).toEqual([
        "api@2.0.0",
        "api@1.0.0",
      ]);
      expect(versions(await store().registryHistory(PROJECT, "staging"))).toEqual([
        "web@1.1.0",
        "api@2.0.0",
        "web@1.0.0",
        "api@1.0.0",
      ]);
      expect(versions(await store().registryHistory(PROJECT, "staging", undefined, 2))).toEqual([
        "web@1.1.0",
        "api@2.0.0",
      ]);
      expect(await store().registryHistory(PROJECT, "staging", "api", 1)).toEqual([
        registryEntry("api", "2.0.0", 2_000),
      ]);
    });
  });

  describe("instances", () => {
    it("puts, lists with filters, and deletes instances", async () => {
      await store().putInstance(instance("i1", { pid: 101 }));
      await store().putInstance(instance("i2", { version: "1.0.0" }));
      await store().putInstance(instance("i3", { service: "web" }));
      await store().putInstance(instance("i4", { environment: "production" }));
      const ids = async (filter: { environment?: string; service?: string; version?: string }) =>
        (await store().listInstances({ project: PROJECT, ...filter })).map((i) => i.id).sort();

      expect(await ids({})).toEqual(["i1", "i2", "i3", "i4"]);
      expect(await ids({ environment: "staging" })).toEqual(["i1", "i2", "i3"]);
      expect(await ids({ environment: "staging", service: "api" })).toEqual(["i1", "i2"]);
      expect(await ids({ service: "api", version: "2.0.0" })).toEqual(["i1", "i4"]);
      expect(await store().listInstances({ project: "elsewhere" })).toEqual([]);

      const [withPid] = await store().listInstances({
        project: PROJECT,
        environment: "staging",
        version: "2.0.0",
        service: "api",
      });
      expect(withPid).toEqual(instance("i1", { pid: 101 }));
      const [withoutPid] = await store().listInstances({ project: PROJECT, version: "1.0.0" });
      expect(withoutPid).toEqual(instance("i2", { version: "1.0.0" }));

      await store().deleteInstance("i1");
      await store().deleteInstance("never-existed");
      expect(await ids({})).toEqual(["i2", "i3", "i4"]);
    });

    it("writes a batch of puts and deletes in one call", async () => {
      await store().putInstance(instance("i1"));
      await store().putInstance(instance("i2"));
      await store().writeInstances({
        put: [instance("i3"), { ...instance("i2"), port: 40_002 }, instance("i4")],
        delete: ["i1", "i4", "never-existed"],
      });
      await store().writeInstances({});
      const stored = await store().listInstances({ project: PROJECT });
      expect(stored.map((i) => i.id).sort()).toEqual(["i2", "i3"]);
      expect(stored.find((i) => i.id === "i2")?.port).toBe(40_002);
    });

    it("replaces an instance put again under the same id", async () => {
      await store().putInstance(instance("i1", { pid: 101 }));
      await store().putInstance({ ...instance("i1", { pid: 202 }), port: 40_001 });
      expect(await store().listInstances({ project: PROJECT })).toEqual([
        { ...instance("i1", { pid: 202 }), port: 40_001 },
      ]);
    });
  });

  describe("routers", () => {
    it("puts, gets, lists and deletes routers by project, environment and service", async () => {
      await store().putRouter(routerRecord("api"));
      await store().putRouter(routerRecord("web"));
      await store().putRouter(routerRecord("api", "production"));
      expect(await store().getRouter(PROJECT, "staging", "api")).toEqual(routerRecord("api"));
      expect(await store().getRouter(PROJECT, "staging", "worker")).toBeUndefined();
      const listed = await store().listRouters(PROJECT);
      expect(listed).toHaveLength(3);
      expect(listed).toEqual(
        expect.arrayContaining([routerRecord("api"), routerRecord("web"), routerRecord("api", "production")]),
      );
      expect(await store().listRouters("elsewhere")).toEqual([]);

      await store().deleteRouter(PROJECT, "staging", "api");
      expect(await store().getRouter(PROJECT, "staging", "api")).toBeUndefined();
      expect(await store().getRouter(PROJECT, "production", "api")).toEqual(
        routerRecord("api", "production"),
      );
      expect(await store().listRouters(PROJECT)).toHaveLength(2);
    });

    it("replaces the router of a service when put again", async () => {
      await store().putRouter(routerRecord("api", "staging", 1));
      await store().putRouter({ ...routerRecord("api", "staging", 2), token: "rotated" });
      expect(await store().getRouter(PROJECT, "staging", "api")).toEqual({
        ...routerRecord("api", "staging", 2),
        token: "rotated",
      });
      expect(await store().listRouters(PROJECT)).toHaveLength(1);
    });
  });

  describe("leases", () => {
    it("grants a free lease and records holder and expiry", async () => {
      expect(await store().getLease("engine")).toBeUndefined();
      expect(await store().acquireLease("engine", "a", 1_000, 10_000)).toBe(true);
      expect(await store().getLease("engine")).toEqual({ holder: "a", expiresAt: 11_000 });
    });

    it("renews the lease for the same holder", async () => {
      await store().acquireLease("engine", "a", 1_000, 10_000);
      expect(await store().acquireLease("engine", "a", 1_000, 10_500)).toBe(true);
      expect(await store().getLease("engine")).toEqual({ holder: "a", expiresAt: 11_500 });
    });

    it("refuses a held, unexpired lease to another holder", async () => {
      await store().acquireLease("engine", "a", 1_000, 10_000);
      expect(await store().acquireLease("engine", "b", 1_000, 10_999)).toBe(false);
      expect(await store().getLease("engine")).toEqual({ holder: "a", expiresAt: 11_000 });
    });

    it("gives an expired lease to another holder", async () => {
      await store().acquireLease("engine", "a", 1_000, 10_000);
      expect(await store().acquireLease("engine", "b", 1_000, 11_000)).toBe(true);
      expect(await store().getLease("engine")).toEqual({ holder: "b", expiresAt: 12_000 });
      expect(await store().acquireLease("engine", "a", 1_000, 11_001)).toBe(false);
    });

    it("lets a holder steal from the named (dead) holder only", async () => {
      await store().acquireLease("engine", "a", 60_000, 10_000);
      expect(await store().acquireLease("engine", "b", 1_000, 10_001, "someone-else")).toBe(false);
      expect(await store().acquireLease("engine", "b", 1_000, 10_001, "a")).toBe(true);
      expect(await store().getLease("engine")).toEqual({ holder: "b", expiresAt: 11_001 });
    });

    it("keeps leases of different names apart", async () => {
      expect(await store().acquireLease("release/r1", "a", 1_000, 10_000)).toBe(true);
      expect(await store().acquireLease("release/r2", "b", 1_000, 10_000)).toBe(true);
      expect((await store().getLease("release/r1"))?.holder).toBe("a");
      expect((await store().getLease("release/r2"))?.holder).toBe("b");
    });

    it("releases the lease only for its holder", async () => {
      await store().acquireLease("engine", "a", 60_000, 10_000);
      await store().releaseLease("engine", "b");
      expect((await store().getLease("engine"))?.holder).toBe("a");
      await store().releaseLease("engine", "a");
      expect(await store().getLease("engine")).toBeUndefined();
      expect(await store().acquireLease("engine", "b", 1_000, 10_001)).toBe(true);
    });
  });
}
