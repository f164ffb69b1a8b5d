import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StrategyConfig } from "../core/config.js";
import { instance } from "../store/conformance.fixtures.js";
import { SqliteStore } from "../store/sqlite.js";
import type { ReleaseWrite } from "../store/types.js";
import { engineFixture, simService } from "./engine.fixtures.js";
import { InstanceJournal } from "./instance-journal.js";

describe("InstanceJournal", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("holds instance writes while open, shows them to instance reads, and hands them over once", async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-journal-"));
    const store = new SqliteStore(join(dir, "tandem.db"));
    await store.migrate();
    await store.putInstance(instance("old"));
    const journal = new InstanceJournal();
    const view = journal.storeFor(store);

    journal.begin();
    await view.putInstance(instance("new"));
    await view.deleteInstance("old");
    const project = { project: instance("x").project };
    expect(await store.listInstances(project)).toEqual([instance("old")]);
    expect(await view.listInstances(project)).toEqual([instance("new")]);
    expect(await view.listInstances({ ...project, service: "web" })).toEqual([]);

    const changes = journal.take();
    expect(changes).toEqual({ put: [instance("new")], delete: ["old"] });
    expect(journal.take()).toBeUndefined();
    await store.writeInstances(changes!);
    expect(await view.listInstances(project)).toEqual([instance("new")]);

    // Closed: writes go to the store at once.
    await view.putInstance(instance("later"));
    expect((await store.listInstances(project)).map((i) => i.id).sort()).toEqual(["later", "new"]);
    await store.close();
  });
});

describe("a pass records the sim instances it starts with its own write", () => {
  const canary: StrategyConfig = {
    type: "canary",
    steps: [{ setWeight: 50 }, { pause: { duration: 5_000 } }],
    progressDeadline: 60_000,
  };
  let fixture: Awaited<ReturnType<typeof engineFixture>>;
  afterEach(async () => fixture?.cleanup());

  it("in one transaction, not one write per instance", async () => {
    fixture = await engineFixture(simService(canary));
    const writes: ReleaseWrite[] = [];
    let single = 0;
    const { store } = fixture;
    const write = store.writeRelease.bind(store);
    store.writeRelease = (w) => {
      writes.push(w);
      return write(w);
    };
    const put = store.putInstance.bind(store);
    store.putInstance = (i) => {
      single++;
      return put(i);
    };
    const engine = fixture.newEngine();
    const { id } = await fixture.release("1.0.0");
    await engine.reconcileOnce(id);
    expect(single).toBe(0);
    const started = writes[0]!.instances?.put ?? [];
    expect(started).toHaveLength(2);
    expect((await store.listInstances({ project: "shop" })).map((i) => i.id).sort()).toEqual(
      started.map((i) => i.id).sort(),
    );
    const final = await fixture.drive(engine, id);
    expect(final.status).toBe("succeeded");
  });

  it("records them on their own when the pass's write loses the compare-and-swap", async () => {
    fixture = await engineFixture(simService(canary));
    const { store } = fixture;
    const write = store.writeRelease.bind(store);
    let conflicts = 1;
    store.writeRelease = async (w) => {
      if (conflicts-- > 0) {
        // Another writer got there first.
        const stored = (await store.getRelease(w.release.id))!;
        await write({ release: stored, expectedRevision: stored.revision });
      }
      return write(w);
    };
    const engine = fixture.newEngine();
    const { id } = await fixture.release("1.0.0");
    await engine.reconcileOnce(id);
    expect(await store.listInstances({ project: "shop" })).toHaveLength(2);
    // A new engine adopts them through their records: it starts none more.
    engine.close();
    await fixture.clock.advance(16_000); // its lease runs out
    const next = fixture.newEngine();
    const final = await fixture.drive(next, id);
    expect(final.status).toBe("succeeded");
    expect(await store.listInstances({ project: "shop" })).toHaveLength(2);
  });
});
