import type { InstanceRecord, Store } from "../store/types.js";

type InstanceMethods = Pick<Store, "putInstance" | "deleteInstance" | "listInstances">;

/**
 * An in-memory fake of the instance methods of Store, for target tests. Records keep insertion order
 * (a re-put keeps its place), like the rowid order of the SQLite store.
 */
export class MemoryInstances implements InstanceMethods {
  private readonly records = new Map<string, InstanceRecord>();

  async putInstance(instance: InstanceRecord): Promise<void> {
    this.records.set(instance.id, { ...instance });
  }

  async deleteInstance(id: string): Promise<void> {
    this.records.delete(id);
  }

  async listInstances(filter: {
    project: string;
    environment?: string;
    service?: string;
    version?: string;
  }): Promise<InstanceRecord[]> {
    return [...this.records.values()]
      .filter(
        (record) =>
          record.project === filter.project &&
          (filter.environment === undefined || record.environment === filter.environment) &&
          (filter.service === undefined || record.service === filter.service) &&
          (filter.version === undefined || record.version === filter.version),
      )
      .map((record) => ({ ...record }));
  }

  /** Every record, whatever its project (for assertions). */
  all(): InstanceRecord[] {
    return [...this.records.values()].map((record) => ({ ...record }));
  }

  /**
   * A Store whose instance methods are this fake's; every other method throws, so a test that
   * reaches them by mistake fails loudly instead of silently doing nothing.
   */
  asStore(): Store {
    const instanceMethods: InstanceMethods = {
      putInstance: (instance) => this.putInstance(instance),
      deleteInstance: (id) => this.deleteInstance(id),
      listInstances: (filter) => this.listInstances(filter),
    };
    return new Proxy(instanceMethods, {
      get(target, property) {
        if (typeof property === "string" && property in target) {
          return target[property as keyof InstanceMethods];
        }
        // Not a thenable, and symbols (inspection) stay harmless.
        if (property === "then" || typeof property === "symbol") return undefined;
        return () => {
          throw new Error(`MemoryInstances fake: Store.${String(property)} is not implemented`);
        };
      },
    }) as Store;
  }
}

/** Shorthand: a fresh fake and the Store view of it. */
export function memoryInstanceStore(): { instances: MemoryInstances; store: Store } {
  const instances = new MemoryInstances();
  return { instances, store: instances.asStore() };
}
