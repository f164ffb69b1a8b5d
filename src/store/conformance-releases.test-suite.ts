import { describe, expect, it } from "vitest";
import { CasConflictError, ReleaseExistsError } from "../core/errors.js";
import {
  command,
  copy,
  event,
  instance,
  PROJECT,
  registryEntry,
  release,
  rollout,
} from "./conformance.fixtures.js";
import type { Store } from "./types.js";

/** Conformance: migrate, releases, CAS writes, events and commands. */
export function releaseConformance(store: () => Store): void {
  describe("migrate", () => {
    it("can be called again on a migrated store", async () => {
      await store().migrate();
      await store().migrate();
      await store().createRelease(release("r1"), []);
      expect(await store().getRelease("r1")).toBeDefined();
    });
  });

  describe("releases", () => {
    it("stores a new release at revision 0 and reads it back whole", async () => {
      const created = release("r1", { rollouts: [rollout("api", "2.0.0"), rollout("web", "1.8.0")] });
      await store().createRelease(copy(created), []);
      expect(await store().getRelease("r1")).toEqual(created);
    });

    it("returns undefined for an unknown release", async () => {
      expect(await store().getRelease("nope")).toBeUndefined();
    });

    it("stores the first events with the release and assigns their seq", async () => {
      const events = [event("r1", 1_000, "release.created"), event("r1", 1_000, "rollout.started")];
      await store().createRelease(release("r1"), events);
      const stored = await store().listEvents({ releaseId: "r1" });
      expect(stored.map((e) => e.type)).toEqual(["release.created", "rollout.started"]);
      expect(events.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    });

    it("refuses a new release whose revision is not 0", async () => {
      await expect(store().createRelease({ ...release("r1"), revision: 3 }, [])).rejects.toThrow();
      expect(await store().getRelease("r1")).toBeUndefined();
    });

    it("refuses a second release with the same id (ReleaseExistsError, so the caller draws another id) and keeps the first", async () => {
      await store().createRelease(release("r1", { environment: "staging" }), [event("r1", 1_000)]);
      await expect(
        store().createRelease(release("r1", { environment: "production" }), [event("r1", 2_000)]),
      ).rejects.toBeInstanceOf(ReleaseExistsError);
      expect((await store().getRelease("r1"))?.environment).toBe("staging");
      expect(await store().listEvents({ releaseId: "r1" })).toHaveLength(1);
    });

    it("lists releases of a project newest first", async () => {
      await store().createRelease(release("r1", { createdAt: 1_000 }), []);
      await store().createRelease(release("r3", { createdAt: 3_000 }), []);
      await store().createRelease(release("r2", { createdAt: 2_000 }), []);
      await store().createRelease(release("other", { createdAt: 4_000, project: "elsewhere" }), []);
      const listed = await store().listReleases({ project: PROJECT });
      expect(listed.map((r) => r.id)).toEqual(["r3", "r2", "r1"]);
      expect(listed[0]).toEqual(release("r3", { createdAt: 3_000 }));
    });

    it("orders releases created at the same instant by insertion, newest first", async () => {
      for (const id of ["a", "b", "c"]) await store().createRelease(release(id, { createdAt: 1_000 }), []);
      const listed = await store().listReleases({ project: PROJECT });
      expect(listed.map((r) => r.id)).toEqual(["c", "b", "a"]);
    });

    it("pages releases with a cursor (before: the last id of the previous page), same instants included", async () => {
      for (const [id, at] of [
        ["a", 1_000],
        ["b", 2_000],
        ["c", 2_000],
        ["d", 3_000],
      ] as const)
        await store().createRelease(release(id, { createdAt: at }), []);
      const page = async (before?: string) =>
        (await store().listReleases({ project: PROJECT, limit: 2, before })).map((r) => r.id);
      expect(await page()).toEqual(["d", "c"]);
      expect(await page("c")).toEqual(["b", "a"]);
      expect(await page("a")).toEqual([]);
      expect(await page("unknown")).toEqual([]);
    });

    it("filters releases by environment, service, status, activity and limit", async () => {
      const make = (
        id: string,
        at: number,
        environment: string,
        status: "running" | "succeeded",
        service: string,
      ) => release(id, { createdAt: at, environment, status, rollouts: [rollout(service, "1.0.0", status)] });
      await store().createRelease(make("r1", 1_000, "staging", "succeeded", "api"), []);
      await store().createRelease(make("r2", 2_000, "production", "running", "api"), []);
      await store().createRelease(make("r3", 3_000, "staging", "running", "web"), []);
      await store().createRelease(make("r4", 4_000, "staging", "succeeded", "web"), []);
      const ids = async (filter: Omit<Parameters<Store["listReleases"]>[0], "project">) =>
        (await store().listReleases({ project: PROJECT, ...filter })).map((r) => r.id);

      expect(await ids({ environment: "staging" })).toEqual(["r4", "r3", "r1"]);
      expect(await ids({ service: "api" })).toEqual(["r2", "r1"]);
      expect(await ids({ active: true })).toEqual(["r3", "r2"]);
      expect(await ids({ statuses: ["succeeded"] })).toEqual(["r4", "r1"]);
      expect(await ids({ environment: "staging", service: "web", active: true })).toEqual(["r3"]);
      expect(await ids({ limit: 2 })).toEqual(["r4", "r3"]);
      expect(await ids({ environment: "qa" })).toEqual([]);
    });

    it("treats every terminal status as inactive", async () => {
      const statuses = ["pending", "awaiting_approval", "running", "paused"] as const;
      const terminal = ["succeeded", "failed", "rolled_back", "aborted"] as const;
      let at = 1_000;
      for (const status of [...statuses, ...terminal]) {
        at += 1;
        await store().createRelease(release(status, { status, createdAt: at }), []);
      }
      const active = await store().listReleases({ project: PROJECT, active: true });
      expect(active.map((r) => r.id).sort()).toEqual([...statuses].sort());
    });
  });

  describe("writeRelease (compare-and-swap)", () => {
    it("writes the release, increments the revision and sets it on the written object", async () => {
      await store().createRelease(release("r1"), []);
      const next = (await store().getRelease("r1"))!;
      next.status = "running";
      next.updatedAt = 2_000;
      await store().writeRelease({ release: next, expectedRevision: 0 });
      expect(next.revision).toBe(1);
      expect(await store().getRelease("r1")).toEqual(next);

      next.status = "succeeded";
      await store().writeRelease({ release: next, expectedRevision: 1 });
      expect(next.revision).toBe(2);
      expect((await store().getRelease("r1"))?.revision).toBe(2);
    });

    it("writes events, consumes commands and records registry entries with the release", async () => {
      await store().createRelease(release("r1"), [event("r1", 1_000, "release.created")]);
      await store().addCommand(command("c1", "r1", 1_500, "resume"));
      await store().addCommand(command("c2", "r1", 1_600, "abort"));
      const next = (await store().getRelease("r1"))!;
      next.status = "succeeded";
      next.updatedAt = 2_000;
      const events = [
        event("r1", 2_000, "rollout.succeeded", { service: "api" }),
        event("r1", 2_000, "release.succeeded"),
      ];
      await store().writeRelease({
        release: next,
        expectedRevision: 0,
        events,
        consumedCommands: ["c1"],
        registry: [registryEntry("api", "2.0.0", 2_000)],
      });

      const stored = await store().listEvents({ releaseId: "r1" });
      expect(stored.map((e) => e.type)).toEqual([
        "release.created",
        "rollout.succeeded",
        "release.succeeded",
      ]);
      expect(events.map((e) => e.seq)).toEqual(stored.slice(1).map((e) => e.seq));
      expect((await store().pendingCommands("r1")).map((c) => c.id)).toEqual(["c2"]);
      expect(await store().getStable(PROJECT, "staging", "api")).toEqual(
        registryEntry("api", "2.0.0", 2_000),
      );
    });

    it("refuses the second of two writers that read the same revision, and writes nothing of it", async () => {
      await store().createRelease(release("r1"), [event("r1", 1_000, "release.created")]);
      await store().addCommand(command("c1", "r1", 1_500));
      const first = (await store().getRelease("r1"))!;
      const second = copy(first);

      first.status = "running";
      first.updatedAt = 2_000;
      await store().writeRelease({
        release: first,
        expectedRevision: 0,
        events: [event("r1", 2_000, "rollout.started")],
      });

      second.status = "aborted";
      second.updatedAt = 2_100;
      const write = store().writeRelease({
        release: second,
        expectedRevision: 0,
        events: [event("r1", 2_100, "release.aborted")],
        consumedCommands: ["c1"],
        registry: [registryEntry("api", "2.0.0", 2_100)],
      });
      await expect(write).rejects.toBeInstanceOf(CasConflictError);
      await expect(write).rejects.toMatchObject({ code: "TANDEM_ERR_CAS_CONFLICT" });

      expect(second.revision).toBe(0);
      expect(await store().getRelease("r1")).toEqual(first);
      const types = (await store().listEvents({ releaseId: "r1" })).map((e) => e.type);
      expect(types).toEqual(["release.created", "rollout.started"]);
      expect((await store().pendingCommands("r1")).map((c) => c.id)).toEqual(["c1"]);
      expect(await store().getStable(PROJECT, "staging", "api")).toBeUndefined();
    });

    it("writes the pass's instance records with the release, and none of them on a conflict", async () => {
      await store().createRelease(release("r1"), []);
      await store().putInstance(instance("old"));
      const read = (await store().getRelease("r1"))!;
      const instances = { put: [instance("new1"), instance("new2", { pid: 7 })], delete: ["old"] };
      await store().writeRelease({ release: copy(read), expectedRevision: 0, instances });
      const ids = async () => (await store().listInstances({ project: PROJECT })).map((i) => i.id).sort();
      expect(await ids()).toEqual(["new1", "new2"]);
      expect((await store().listInstances({ project: PROJECT })).find((i) => i.id === "new2")).toEqual(
        instance("new2", { pid: 7 }),
      );

      const stale = store().writeRelease({
        release: copy(read),
        expectedRevision: 0,
        instances: { put: [instance("lost")], delete: ["new1"] },
      });
      await expect(stale).rejects.toBeInstanceOf(CasConflictError);
      expect(await ids()).toEqual(["new1", "new2"]);
    });

    it("reads a release's revision without the release", async () => {
      await store().createRelease(release("r1"), []);
      expect(await store().releaseRevision("r1")).toBe(0);
      const next = (await store().getRelease("r1"))!;
      await store().writeRelease({ release: next, expectedRevision: 0 });
      await store().writeRelease({ release: next, expectedRevision: 1 });
      expect(await store().releaseRevision("r1")).toBe(2);
      expect(await store().releaseRevision("nope")).toBeUndefined();
    });

    it("refuses a write with a stale revision after several writes", async () => {
      await store().createRelease(release("r1"), []);
      const current = (await store().getRelease("r1"))!;
      await store().writeRelease({ release: current, expectedRevision: 0 });
      await store().writeRelease({ release: current, expectedRevision: 1 });
      await expect(
        store().writeRelease({ release: copy(current), expectedRevision: 1 }),
      ).rejects.toMatchObject({
        code: "TANDEM_ERR_CAS_CONFLICT",
      });
      expect((await store().getRelease("r1"))?.revision).toBe(2);
    });

    it("refuses a write to a release that does not exist", async () => {
      await expect(
        store().writeRelease({ release: release("ghost"), expectedRevision: 0 }),
      ).rejects.toBeInstanceOf(CasConflictError);
      expect(await store().getRelease("ghost")).toBeUndefined();
    });

    it("rewrites the rollouts, so service filters follow the stored release", async () => {
      await store().createRelease(release("r1", { rollouts: [rollout("api", "2.0.0")] }), []);
      const next = (await store().getRelease("r1"))!;
      next.rollouts = [rollout("web", "1.8.0", "running")];
      await store().writeRelease({ release: next, expectedRevision: 0 });
      expect(await store().listReleases({ project: PROJECT, service: "api" })).toEqual([]);
      expect((await store().listReleases({ project: PROJECT, service: "web" })).map((r) => r.id)).toEqual([
        "r1",
      ]);
    });
  });

  describe("writeRelease with changedRollouts (a pass writes what changed)", () => {
    const two = () => release("r1", { rollouts: [rollout("api", "2.0.0"), rollout("web", "1.8.0")] });

    it("writes the release's own fields and the named rollouts only; the others stay as stored", async () => {
      await store().createRelease(two(), []);
      const next = (await store().getRelease("r1"))!;
      next.status = "running";
      next.updatedAt = 2_000;
      next.rollouts[0] = { ...next.rollouts[0]!, status: "running", weight: 25 };
      // Changed in memory but not named: the contract says the writer names every rollout it changed.
      next.rollouts[1] = { ...next.rollouts[1]!, status: "running" };
      await store().writeRelease({ release: next, expectedRevision: 0, changedRollouts: ["api"] });
      expect(next.revision).toBe(1);
      const stored = (await store().getRelease("r1"))!;
      expect(stored.status).toBe("running");
      expect(stored.updatedAt).toBe(2_000);
      expect(stored.revision).toBe(1);
      expect(stored.rollouts).toEqual([
        { ...rollout("api", "2.0.0"), status: "running", weight: 25 },
        rollout("web", "1.8.0"),
      ]);
      expect((await store().listReleases({ project: PROJECT, active: true })).map((r) => r.rollouts)).toEqual(
        [stored.rollouts],
      );
    });

    it("with no rollout changed, writes the release's own fields and bumps the revision", async () => {
      await store().createRelease(two(), []);
      const next = (await store().getRelease("r1"))!;
      next.updatedAt = 3_000;
      await store().writeRelease({ release: next, expectedRevision: 0, changedRollouts: [] });
      expect(await store().getRelease("r1")).toEqual({ ...two(), updatedAt: 3_000, revision: 1 });
    });

    it("keeps the rollouts in release order across partial writes", async () => {
      const created = release("r1", {
        rollouts: [rollout("db", "1.0.0"), rollout("api", "2.0.0"), rollout("web", "1.8.0")],
      });
      await store().createRelease(copy(created), []);
      let current = (await store().getRelease("r1"))!;
      for (const [revision, service] of [
        [0, "web"],
        [1, "db"],
        [2, "api"],
      ] as const) {
        current.rollouts = current.rollouts.map((r) =>
          r.service === service ? { ...r, status: "succeeded" } : r,
        );
        await store().writeRelease({
          release: current,
          expectedRevision: revision,
          changedRollouts: [service],
        });
        current = (await store().getRelease("r1"))!;
      }
      expect(current.rollouts.map((r) => [r.service, r.status])).toEqual([
        ["db", "succeeded"],
        ["api", "succeeded"],
        ["web", "succeeded"],
      ]);
      expect(
        (await store().listReleases({ project: PROJECT, service: "db", statuses: ["pending"] })).length,
      ).toBe(1);
    });

    it("refuses the second of two partial writers of the same revision, even for another rollout", async () => {
      await store().createRelease(two(), []);
      const first = (await store().getRelease("r1"))!;
      const second = copy(first);
      first.rollouts[0] = { ...first.rollouts[0]!, status: "running" };
      await store().writeRelease({ release: first, expectedRevision: 0, changedRollouts: ["api"] });
      second.rollouts[1] = { ...second.rollouts[1]!, status: "aborted" };
      const write = store().writeRelease({
        release: second,
        expectedRevision: 0,
        changedRollouts: ["web"],
        events: [event("r1", 2_100, "release.aborted")],
      });
      await expect(write).rejects.toBeInstanceOf(CasConflictError);
      expect(await store().getRelease("r1")).toEqual(first);
      expect(await store().listEvents({ releaseId: "r1" })).toEqual([]);
    });

    it("refuses a changed rollout the release does not have, and writes nothing", async () => {
      await store().createRelease(two(), []);
      const next = (await store().getRelease("r1"))!;
      next.status = "running";
      for (const changed of [["api", "ghost"], ["ghost"]]) {
        const write = store().writeRelease({
          release: copy(next),
          expectedRevision: 0,
          changedRollouts: changed,
          events: [event("r1", 2_000, "rollout.started")],
        });
        await expect(write).rejects.toMatchObject({ code: "TANDEM_ERR_INVALID_REQUEST" });
      }
      // A rollout in the written release but not stored (added without a full write) is refused too.
      const added = copy(next);
      added.rollouts.push(rollout("cache", "1.0.0"));
      await expect(
        store().writeRelease({ release: added, expectedRevision: 0, changedRollouts: ["cache"] }),
      ).rejects.toMatchObject({ code: "TANDEM_ERR_INVALID_REQUEST" });
      expect(await store().getRelease("r1")).toEqual(two());
      expect(await store().listEvents({ releaseId: "r1" })).toEqual([]);
    });

    it("keeps the services' configuration as created: writes do not rewrite it", async () => {
      await store().createRelease(two(), []);
      const next = (await store().getRelease("r1"))!;
      next.services = { api: { changed: true } };
      await store().writeRelease({ release: next, expectedRevision: 0, changedRollouts: [] });
      await store().writeRelease({ release: next, expectedRevision: 1 });
      expect((await store().getRelease("r1"))?.services).toEqual(two().services);
    });
  });

  describe("events", () => {
    it("appends events in order with increasing seq and reads them back whole", async () => {
      const events = [
        event("r1", 3_000, "rollout.weight_changed", {
          service: "api",
          data: { weight: 25, nested: { ok: true } },
        }),
        event("r1", 1_000, "release.created"),
        event("r2", 2_000, "release.created"),
      ];
      await store().appendEvents(events);
      const stored = await store().listEvents({});
      expect(stored.map((e) => e.at)).toEqual([3_000, 1_000, 2_000]);
      const seqs = stored.map((e) => e.seq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(3);
      expect(stored).toEqual(events);
      expect(stored[1]).not.toHaveProperty("service");
      expect(stored[1]).not.toHaveProperty("data");
    });

    it("keeps seq increasing across separate appends", async () => {
      await store().appendEvents([event("r1", 1_000)]);
      await store().appendEvents([]);
      await store().appendEvents([event("r1", 1_000), event("r1", 1_000)]);
      const seqs = (await store().listEvents({})).map((e) => e.seq!);
      expect(seqs).toHaveLength(3);
      expect(seqs[0]!).toBeLessThan(seqs[1]!);
      expect(seqs[1]!).toBeLessThan(seqs[2]!);
    });

    it("filters events by release, project, afterSeq and limit", async () => {
      await store().appendEvents([
        event("r1", 1_000),
        event("r2", 1_001),
        event("x1", 1_002, "release.created", { project: "elsewhere" }),
        event("r1", 1_003),
        event("r1", 1_004),
      ]);
      const all = await store().listEvents({});
      expect(all).toHaveLength(5);
      expect((await store().listEvents({ releaseId: "r1" })).map((e) => e.at)).toEqual([1_000, 1_003, 1_004]);
      expect((await store().listEvents({ project: PROJECT })).map((e) => e.at)).toEqual([
        1_000, 1_001, 1_003, 1_004,
      ]);
      expect((await store().listEvents({ afterSeq: all[2]!.seq })).map((e) => e.at)).toEqual([1_003, 1_004]);
      expect((await store().listEvents({ releaseId: "r1", limit: 2 })).map((e) => e.at)).toEqual([
        1_000, 1_003,
      ]);
      expect((await store().listEvents({ project: PROJECT, afterSeq: all[0]!.seq, limit: 1 }))[0]?.at).toBe(
        1_001,
      );
    });
  });

  describe("commands", () => {
    it("lists a release's pending commands oldest first", async () => {
      await store().createRelease(release("r1"), []);
      await store().createRelease(release("r2", { createdAt: 1_100 }), []);
      await store().addCommand(command("late", "r1", 3_000, "abort"));
      await store().addCommand({ ...command("early", "r1", 2_000, "resume"), service: "api" });
      await store().addCommand(command("other", "r2", 1_000));
      const pending = await store().pendingCommands("r1");
      expect(pending.map((c) => c.id)).toEqual(["early", "late"]);
      expect(pending[0]).toEqual({ ...command("early", "r1", 2_000, "resume"), service: "api" });
      expect(await store().pendingCommands("nope")).toEqual([]);
    });

    it("keeps commands at the same instant in the order they were added", async () => {
      await store().createRelease(release("r1"), []);
      for (const id of ["c", "a", "b"]) await store().addCommand(command(id, "r1", 2_000));
      expect((await store().pendingCommands("r1")).map((c) => c.id)).toEqual(["c", "a", "b"]);
    });

    it("consumes only the listed commands of the written release", async () => {
      await store().createRelease(release("r1"), []);
      await store().createRelease(release("r2", { createdAt: 1_100 }), []);
      await store().addCommand(command("c1", "r1", 2_000));
      await store().addCommand(command("c2", "r2", 2_000));
      const r1 = (await store().getRelease("r1"))!;
      await store().writeRelease({
        release: r1,
        expectedRevision: 0,
        consumedCommands: ["c1", "c2", "missing"],
      });
      expect(await store().pendingCommands("r1")).toEqual([]);
      expect((await store().pendingCommands("r2")).map((c) => c.id)).toEqual(["c2"]);
    });

    it("refuses a command for an unknown release", async () => {
      await expect(store().addCommand(command("c1", "ghost", 2_000))).rejects.toMatchObject({
        code: "TANDEM_ERR_NOT_FOUND",
      });
    });
  });
}
