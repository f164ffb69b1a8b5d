import type { Endpoint } from "../core/types.js";
import type { ExitedInstance, Target } from "../targets/types.js";

/** The target methods that change which instances exist: after one, the instances are listed anew. */
const CHANGES_INSTANCES = new Set<PropertyKey>(["start", "stop", "promote", "rollback"]);

export interface PassTarget {
  /** The target, with `list` answered from one listing per pass (of every version, filtered here). */
  target: Target;
  /** Forgets the listing: the next `list` asks the target again. Called as each rollout's pass begins. */
  newPass(): void;
  /**
   * Whether the target reports instances that exited, without taking them: the next `takeExited`
   * still returns them. False for a target without `takeExited`.
   */
  hasExited(): boolean;
}

/**
 * A rollout's pass looks at the instances several times (observe, the end-of-pass count, analysis);
 * without this each look is a `list` of the target (a store query, a process check). Within one pass
 * the target is listed once, unless an action that starts or stops instances ran in between.
 */
export function passTarget(inner: Target): PassTarget {
  let listing: Promise<Endpoint[]> | undefined;
  const list = async (version?: string): Promise<Endpoint[]> => {
    listing ??= inner.list().catch((error: unknown) => {
      listing = undefined;
      throw error;
    });
    const all = await listing;
    return version === undefined ? [...all] : all.filter((endpoint) => endpoint.version === version);
  };
  /** Exits taken from the target by `hasExited`, handed out by the next `takeExited`. */
  let exits: ExitedInstance[] = [];
  const takeExited = (): ExitedInstance[] => {
    const taken = [...exits, ...(inner.takeExited?.() ?? [])];
    exits = [];
    return taken;
  };
  const wrapped = new Map<PropertyKey, unknown>();
  const target = new Proxy(inner, {
    get(object, property) {
      if (property === "list") return list;
      if (property === "takeExited") return inner.takeExited ? takeExited : undefined;
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== "function") return value;
      let bound = wrapped.get(property);
      if (bound === undefined) {
        bound = CHANGES_INSTANCES.has(property)
          ? async (...args: unknown[]) => {
              listing = undefined;
              try {
                return await value.apply(object, args);
              } finally {
                listing = undefined;
              }
            }
          : value.bind(object);
        wrapped.set(property, bound);
      }
      return bound;
    },
  });
  return {
    target,
    newPass: () => {
      listing = undefined;
    },
    hasExited: () => {
      if (inner.takeExited) exits.push(...inner.takeExited());
      return exits.length > 0;
    },
  };
}
