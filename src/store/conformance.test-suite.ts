import { afterEach, beforeEach, describe } from "vitest";
import { CONFORMANCE_OUTBOX_ROUTING, outboxConformance } from "./conformance-outbox.test-suite.js";
import { releaseConformance } from "./conformance-releases.test-suite.js";
import { sideTableConformance } from "./conformance-side-tables.test-suite.js";
import { versionConformance } from "./conformance-versions.test-suite.js";
import type { Store, StoreOptions } from "./types.js";

export interface StoreUnderTest {
  store: Store;
  /** Removes what the store left behind (files, schemas). Called after `store.close()`. */
  cleanup: () => Promise<void>;
}

/**
 * Registers the vitest suite every Store implementation must pass, covering each Store method.
 * `makeStore` returns a fresh, empty store (migrated or not: the suite calls `migrate()`), opened
 * with `options` (the outbox tests pass an outbox routing).
 * Call it at the top level of a test file:
 *
 *     storeConformanceSuite("sqlite", async () => { ...; return { store, cleanup } });
 */
export function storeConformanceSuite(
  name: string,
  makeStore: (options?: StoreOptions) => Promise<StoreUnderTest>,
): void {
  suite(
    `${name} store conformance`,
    () => makeStore(),
    (store) => {
      releaseConformance(store);
      sideTableConformance(store);
      versionConformance(store);
    },
  );
  suite(
    `${name} store conformance, with an outbox`,
    () => makeStore({ outbox: CONFORMANCE_OUTBOX_ROUTING }),
    outboxConformance,
  );
}

function suite(
  title: string,
  makeStore: () => Promise<StoreUnderTest>,
  tests: (store: () => Store) => void,
): void {
  describe(title, () => {
    let current: StoreUnderTest | undefined;

    beforeEach(async () => {
      current = await makeStore();
      await current.store.migrate();
    });

    afterEach(async () => {
      const finished = current;
      current = undefined;
      if (!finished) return;
      await finished.store.close();
      await finished.cleanup();
    });

    const store = (): Store => {
      if (!current) throw new Error("store conformance: no store (beforeEach did not run)");
      return current.store;
    };

    tests(store);
  });
}
