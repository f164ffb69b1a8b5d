import { isAbsolute, resolve } from "node:path";
import type { SqliteStoreConfig, StoreConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { PostgresStore } from "./postgres/store.js";
import { maskUrl } from "./postgres/url.js";
import { SqliteStore } from "./sqlite.js";
import type { Store, StoreOptions } from "./types.js";

export { MIGRATIONS, type Migration } from "./migrations.js";
export { type CopyReport, copySqliteToPostgres, type TableCount } from "./postgres/copy.js";
export { PG_MIGRATIONS } from "./postgres/migrations.js";
export { PostgresStore, type PostgresStoreOptions } from "./postgres/store.js";
export { maskUrl } from "./postgres/url.js";
export { SqliteStore } from "./sqlite.js";
export { checkStoreFile, type StoreCheckItem, type StoreFileReport } from "./sqlite-check.js";
export { assertSound, faultHint, StoreFaultError, type StoreFaultKind } from "./sqlite-faults.js";
export type * from "./types.js";

export const STORE_TYPES = ["sqlite", "postgres"] as const;

export interface OpenStoreOptions extends StoreOptions {
  /** Directory a relative `path` resolves against (the config file's). Default: the working directory. */
  baseDir?: string;
}

/** The file of the configured SQLite store, absolute (or `:memory:`). */
export function storeFile(config: SqliteStoreConfig, baseDir = "."): string {
  return config.path === ":memory:" || isAbsolute(config.path) ? config.path : resolve(baseDir, config.path);
}

/** The configured store, opened but not migrated. An unknown `type` is an error. */
export function createStore(
  config: StoreConfig,
  options: OpenStoreOptions = {},
): SqliteStore | PostgresStore {
  const type = (config as { type: string }).type;
  const { baseDir: _, ...storeOptions } = options;
  switch (config.type) {
    case "sqlite":
      return new SqliteStore(storeFile(config, options.baseDir), storeOptions);
    case "postgres":
      return new PostgresStore(config.url, storeOptions);
    default:
      throw new UnknownTypeError("store", type, STORE_TYPES);
  }
}

/** Opens the configured store and applies pending migrations. An unknown `type` is an error. */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  const store = createStore(config, options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/** How the configured store is named in messages: the file, or the URL with its password masked. */
export function storeName(config: StoreConfig): string {
  return config.type === "postgres" ? maskUrl(config.url) : config.path;
}

/**
 * The configured store, usable at once: it is opened and migrated when the first call arrives, and
 * every call waits for that. Closing a store that was never used opens nothing.
 */
export function openStoreLazily(config: StoreConfig, options: OpenStoreOptions = {}): Store {
  let opened: Promise<Store> | undefined;
  const ready = () => {
    opened ??= openStore(config, options);
    return opened;
  };
  return new Proxy({} as Store, {
    get(_target, method) {
      // Not a thenable: `await store` must not call into it.
      if (method === "then" || typeof method !== "string") return undefined;
      if (method === "close") return async () => (opened ? (await opened).close() : undefined);
      return async (...args: unknown[]) => {
        const store = (await ready()) as unknown as Record<string, (...a: unknown[]) => unknown>;
        const call = store[method];
        if (typeof call !== "function") throw new TypeError(`the store has no method ${method}`);
        return call.apply(store, args);
      };
    },
  });
}
