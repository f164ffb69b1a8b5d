import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfigWithRaw } from "../config/index.js";
import { isTandemError, type TandemError } from "../core/errors.js";
import { Orchestrator } from "../orchestrator.js";
import { SqliteStore, StoreFaultError } from "../store/index.js";
import type { Store } from "../store/types.js";
import { resetSimInstances } from "../targets/sim.js";
import { MemoryRouter } from "../testing/memory-router.js";
import { driveWithProgress } from "./run-release.js";

const YAML = `
project: shop
environments: { staging: {} }
services:
  api:
    target: { type: sim, replicas: 1 }
    strategy: { rolling: { maxSurge: 1 } }
`;

/**
 * `tandem deploy` when the store stops taking writes mid-release (a full disk): the error names the
 * cause and says the release stays as stored and `tandem engine` continues it; once the store takes
 * writes again, the release continues from there to its end.
 */
describe("driving a release when the store cannot be written", () => {
  let dir: string;
  let store: SqliteStore;
  let full: boolean;
  let tandem: Orchestrator;

  beforeEach(async () => {
    resetSimInstances();
    dir = mkdtempSync(join(tmpdir(), "tandem-drive-full-"));
    store = new SqliteStore(join(dir, "tandem.db"));
    await store.migrate();
    full = false;
    // A disk that fills up: the engine's writes fail as the real store fails (sqlite-faults.test.ts).
    const filling = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "writeRelease" && full) {
          return async () => {
            throw new StoreFaultError(
              "full",
              store.file,
              `the store ${store.file} cannot grow: the disk is full`,
            );
          };
        }
        const value = Reflect.get(target, key, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as Store;
    const router = new MemoryRouter();
    tandem = new Orchestrator(parseConfigWithRaw(YAML, join(dir, "tandem.yaml")), {
      store: filling,
      env: { TANDEM_USER: "alice" },
      passIntervalMs: 10,
      plugins: { createRouter: () => router },
    });
  });

  afterEach(async () => {
    await tandem.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the cause, keeps the release pending, and the engine continues it once writable", async () => {
    const created = await tandem.createRelease({ services: ["api@1.0.0"], drive: true, origin: "cli" });
    // The lease was taken with the creation: no other engine starts it meanwhile.
    expect((await store.getLease(`release:${created.id}`))?.holder).toBe(tandem.engine.holder);
    full = true;
    const error = await driveWithProgress(tandem, [created.id], { json: true }).then(
      () => undefined,
      (caught: unknown) => caught as TandemError,
    );
    expect(isTandemError(error), String(error)).toBe(true);
    expect(error!.code).toBe("TANDEM_ERR_STORE_FULL");
    expect(error!.message).toContain("the disk is full");
    expect(error!.hint).toContain(`release ${created.id} stays pending`);
    expect(error!.hint).toContain("`tandem engine` continues it once the store is writable again");
    expect((await store.getRelease(created.id))?.status).toBe("pending");

    full = false;
    const final = await tandem.run(created.id, AbortSignal.timeout(20_000));
    expect(final.status).toBe("succeeded");
  });
});
