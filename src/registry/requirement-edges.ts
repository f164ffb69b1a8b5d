import type { ServiceMove } from "./types.js";
import { effectiveProvides, satisfiesRange } from "./versions.js";

/** `from` must complete before `to` starts, because of version metadata. */
export interface RequirementEdge {
  from: string;
  to: string;
  reason: string;
}

/**
 * Ordering constraints between services of one release, from their metadata (T and X both move):
 *   - T -> X when new X requires K, new T provides K in the range, and old T does not (or there is
 *     no old T): X's new version needs T's new one, so T goes first (`web@1.8.0 requires api ^2.4`,
 *     api 2.3.1 -> 2.4.0: api goes first). When old T already satisfies it, no order is needed.
 *   - X -> T when old X requires K and new T breaks it (provides K outside the range, or no longer
 *     provides K that old T provided): X's rollout completes before T's starts, so old X never
 *     runs beside new T (web 1.7.0 needs api ^2.3, web 1.9.0 accepts >=2.3 <4, api goes to 3.0.0:
 *     web goes first).
 * Both directions between two services make a cycle: no order works, the release is impossible.
 * One edge per pair; several reasons are joined with "; ".
 */
export function requirementEdges(moves: ServiceMove[]): RequirementEdge[] {
  const edges = new Map<string, RequirementEdge>();
  const add = (from: string, to: string, reason: string) => {
    const id = `${from}\0${to}`;
    const existing = edges.get(id);
    if (!existing) edges.set(id, { from, to, reason });
    else if (!existing.reason.split("; ").includes(reason)) existing.reason += `; ${reason}`;
  };
  for (const x of moves) {
    for (const t of moves) {
      if (x.service === t.service) continue;
      const fresh = effectiveProvides(t.toMeta, t.service, t.to);
      const stale = t.from === null ? {} : effectiveProvides(t.fromMeta, t.service, t.from);
      for (const [key, range] of Object.entries(x.toMeta?.requires ?? {})) {
        if (fresh[key] === undefined || !satisfiesRange(fresh[key], range)) continue;
        if (stale[key] !== undefined && satisfiesRange(stale[key], range)) continue;
        const old = t.from === null ? "" : `, ${t.service}@${t.from} does not`;
        add(
          t.service,
          x.service,
          `${x.service}@${x.to} requires ${key} ${range}: ${t.service}@${t.to} provides it${old}`,
        );
      }
      if (x.from === null) continue;
      for (const [key, range] of Object.entries(x.fromMeta?.requires ?? {})) {
        const next = fresh[key];
        const breaks =
          next !== undefined
            ? !satisfiesRange(next, range)
            : stale[key] !== undefined && satisfiesRange(stale[key], range);
        if (!breaks) continue;
        const what = next !== undefined ? "does not satisfy" : "no longer provides";
        add(
          x.service,
          t.service,
          `${x.service}@${x.from} requires ${key} ${range}, which ${t.service}@${t.to} ${what}: ${x.service}'s rollout to ${x.to} completes first`,
        );
      }
    }
  }
  return [...edges.values()];
}
