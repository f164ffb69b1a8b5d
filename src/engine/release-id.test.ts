import { afterEach, describe, expect, it } from "vitest";
import { ReleaseExistsError } from "../core/errors.js";
import { createRelease } from "./create-release.js";
import { engineFixture, simService } from "./engine.fixtures.js";
import { releaseIdGenerator } from "./release-id.js";

const ID = /^\d{8}-\d{9}-[0-9a-hjkmnp-tv-z]{16}$/;

describe("release ids", () => {
  it("100,000 ids from one process never repeat and sort in the order they were made", () => {
    const next = releaseIdGenerator();
    const start = Date.UTC(2026, 11, 7, 6, 56, 28, 123);
    const ids: string[] = [];
    // Several ids per millisecond and a clock that steps back once: order still holds.
    for (let i = 0; i < 100_000; i++) ids.push(next(start + Math.floor(i / 7) - (i === 50_000 ? 5 : 0)));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(ID);
    expect(ids[0]!.startsWith("20261207-065628123-")).toBe(true);
  });

  it("ids from separate generators in the same millisecond differ", () => {
    const at = Date.UTC(2026, 0, 1);
    const ids = new Set(Array.from({ length: 1_000 }, () => releaseIdGenerator()(at)));
    expect(ids.size).toBe(1_000);
  });
});

describe("createRelease and a clashing id", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("draws another id when the store already holds the one drawn", async () => {
    const f = await engineFixture(simService({ type: "recreate", progressDeadline: 60_000 }));
    cleanups.push(f.cleanup);
    const ids = [
      "20260101-000000000-aaaaaaaaaaaaaaaa",
      "20260101-000000000-aaaaaaaaaaaaaaaa",
      "20260101-000000000-bbbbbbbbbbbbbbbb",
    ];
    const drawn: string[] = [];
    const newId = () => {
      const id = ids[drawn.length]!;
      drawn.push(id);
      return id;
    };
    const deps = { store: f.store, config: f.config, now: f.clock.now(), snapshot: () => ({}), newId };
    const first = await createRelease(
      { environment: "staging", services: [{ service: "api", version: "1.0.0" }], actor: "alice" },
      deps,
    );
    await f.store.writeRelease({
      release: { ...first, status: "aborted" },
      expectedRevision: first.revision,
    });
    const second = await createRelease(
      { environment: "staging", services: [{ service: "api", version: "2.0.0" }], actor: "alice" },
      deps,
    );
    expect(first.id).toBe(ids[0]);
    expect(second.id).toBe(ids[2]);
    expect(drawn).toEqual(ids);
    expect((await f.store.getRelease(second.id))?.rollouts[0]?.version).toBe("2.0.0");
  });

  it("gives up after a bounded number of clashes", async () => {
    const f = await engineFixture(simService({ type: "recreate", progressDeadline: 60_000 }));
    cleanups.push(f.cleanup);
    const deps = { store: f.store, config: f.config, now: f.clock.now(), snapshot: () => ({}) };
    const first = await createRelease(
      { environment: "staging", services: [{ service: "api", version: "1.0.0" }], actor: "alice" },
      { ...deps, newId: () => "same" },
    );
    await f.store.writeRelease({
      release: { ...first, status: "aborted" },
      expectedRevision: first.revision,
    });
    let calls = 0;
    await expect(
      createRelease(
        { environment: "staging", services: [{ service: "api", version: "2.0.0" }], actor: "alice" },
        {
          ...deps,
          newId: () => {
            calls++;
            return "same";
          },
        },
      ),
    ).rejects.toBeInstanceOf(ReleaseExistsError);
    expect(calls).toBe(5);
  });
});
