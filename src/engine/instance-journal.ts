import type { InstanceChanges, InstanceRecord, Store } from "../store/types.js";

type InstanceFilter = Parameters<Store["listInstances"]>[0];

/** From this many services in a release, a pass reads the environment's instances at once. */
export const ENVIRONMENT_READ_FROM = 64;

/**
 * The instance records a release's pass writes, held until the pass's own write so that they are
 * committed in its transaction (`ReleaseWrite.instances`) instead of one autocommit each: a pass that
 * starts 10,000 instances writes them at once.
 *
 * Only for targets whose instances do not outlive the engine's process (the sim target: its instances
 * are objects in this process). What a crash between starting an instance and the pass's write leaves:
 *  - the release is at the revision before the pass (its write was lost with the records), so the
 *    rollout is where it was before it started the instances;
 *  - the instances died with the process, and no record names them: the next engine lists none and
 *    starts them again. Nothing is left behind, and nothing recorded is missing.
 * When the pass's write fails (a compare-and-swap conflict, a store error) or the pass throws, the
 * records are written on their own (`Store.writeInstances`): the instances were started and run on.
 *
 * A target whose instances are processes that outlive the engine (process, command, github-actions)
 * records each one as it starts it, directly: a record lost in a crash would leave a process no engine
 * finds again (they are adopted through their records). A spawn costs far more than that write.
 */
export class InstanceJournal {
  // Allocated once used: an engine keeps a journal for each of its releases (thousands, at scale).
  private puts?: Map<string, InstanceRecord>;
  /** Ids in `puts` by service (project, environment, service): a target lists its own service's. */
  private putsByService?: Map<string, Set<string>>;
  private deletes?: Set<string>;
  private open = false;
  /** Targets given a view (every service of the release): from ENVIRONMENT_READ_FROM on, reads are per environment. */
  private targets = 0;
  /** The view of the store, shared by the release's targets (an engine has one store). */
  private view?: { of: Store; view: Store };
  /**
   * While a pass is open, in a release of ENVIRONMENT_READ_FROM services or more: the stored instances
   * of an environment, read at its first listing of one of its services, by service. Thousands of targets created in one pass (a release's first) then cost one
   * query, not one each. Only within the pass: the next one reads the store again.
   */
  private listed?: Map<string, Map<string, InstanceRecord[]>>;

  /** From now until `take`, instance writes through `storeFor` are held here. */
  begin(): void {
    this.open = true;
  }

  /** Everything held since `begin`, emptied; undefined when nothing was written. Writes go through again. */
  take(): InstanceChanges | undefined {
    this.open = false;
    this.listed = undefined;
    if (!this.puts?.size && !this.deletes?.size) return undefined;
    const changes = { put: [...(this.puts?.values() ?? [])], delete: [...(this.deletes ?? [])] };
    this.puts = undefined;
    this.putsByService = undefined;
    this.deletes = undefined;
    return changes;
  }

  private async storedInstances(store: Store, filter: InstanceFilter): Promise<InstanceRecord[]> {
    // A release of a few services reads its services' instances, each (a read of the environment would
    // cost what the environment holds, for every small release).
    const many = this.targets >= ENVIRONMENT_READ_FROM;
    if (!many || !this.open || filter.environment === undefined || filter.service === undefined) {
      return store.listInstances(filter);
    }
    const key = `${filter.project}\u0000${filter.environment}`;
    this.listed ??= new Map();
    let byService = this.listed.get(key);
    if (!byService) {
      byService = new Map();
      for (const record of await store.listInstances({
        project: filter.project,
        environment: filter.environment,
      })) {
        const of = byService.get(record.service);
        if (of) of.push(record);
        else byService.set(record.service, [record]);
      }
      this.listed.set(key, byService);
    }
    const records = byService.get(filter.service) ?? [];
    return filter.version === undefined ? [...records] : records.filter((r) => r.version === filter.version);
  }

  private forgetPut(id: string): void {
    const held = this.puts?.get(id);
    if (!held) return;
    this.puts?.delete(id);
    this.putsByService?.get(serviceKey(held))?.delete(id);
  }

  /**
   * `store`, with its instance writes held while a pass is open; its instance reads see them. Every
   * other method is the store's own.
   */
  storeFor(store: Store): Store {
    this.targets++;
    if (this.view?.of !== store) this.view = { of: store, view: this.journaled(store) };
    return this.view.view;
  }

  private journaled(store: Store): Store {
    const journal = this;
    const overrides: Partial<Store> = {
      async putInstance(instance) {
        if (!journal.open) return store.putInstance(instance);
        journal.deletes?.delete(instance.id);
        journal.forgetPut(instance.id);
        journal.puts ??= new Map();
        journal.putsByService ??= new Map();
        journal.puts.set(instance.id, instance);
        const key = serviceKey(instance);
        let ids = journal.putsByService.get(key);
        if (!ids) {
          ids = new Set();
          journal.putsByService.set(key, ids);
        }
        ids.add(instance.id);
      },
      async deleteInstance(id) {
        if (!journal.open) return store.deleteInstance(id);
        journal.forgetPut(id);
        journal.deletes ??= new Set();
        journal.deletes.add(id);
      },
      async listInstances(filter) {
        const stored = await journal.storedInstances(store, filter);
        const { puts, putsByService, deletes } = journal;
        if (!puts?.size && !deletes?.size) return stored;
        const matches = (record: InstanceRecord) =>
          record.project === filter.project &&
          (filter.environment === undefined || record.environment === filter.environment) &&
          (filter.service === undefined || record.service === filter.service) &&
          (filter.version === undefined || record.version === filter.version);
        const held =
          filter.environment !== undefined && filter.service !== undefined
            ? [...(putsByService?.get(serviceKey(filter as InstanceRecord)) ?? [])].map(
                (id) => puts!.get(id)!,
              )
            : [...(puts?.values() ?? [])];
        return [
          ...stored.filter((record) => !deletes?.has(record.id) && !puts?.has(record.id)),
          ...held.filter(matches),
        ];
      },
    };
    const bound = new Map<PropertyKey, unknown>();
    return new Proxy(store, {
      get(target, property) {
        const override = overrides[property as keyof Store];
        if (override) return override;
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== "function") return value;
        let method = bound.get(property);
        if (method === undefined) {
          method = value.bind(target);
          bound.set(property, method);
        }
        return method;
      },
    });
  }
}

function serviceKey(of: Pick<InstanceRecord, "project" | "environment" | "service">): string {
  return `${of.project}\u0000${of.environment}\u0000${of.service}`;
}
