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
  // Provides parsed once per move, and each requirement looked up among the moves providing its key
  // (in the moves' order, so edges and reasons come out as a visit of every pair would give them).
  const fresh = moves.map((t) => effectiveProvides(t.toMeta, t.service, t.to));
  const stale = moves.map((t) => (t.from === null ? {} : effectiveProvides(t.fromMeta, t.service, t.from)));
  const providers = new Map<string, number[]>();
  moves.forEach((_, i) => {
    for (const key of new Set([...Object.keys(fresh[i]!), ...Object.keys(stale[i]!)])) {
      const list = providers.get(key);
      if (list) list.push(i);
      else providers.set(key, [i]);
    }
  });
  for (const x of moves) {
    const toRequires = Object.entries(x.toMeta?.requires ?? {});
    const fromRequires = x.from === null ? [] : Object.entries(x.fromMeta?.requires ?? {});
    if (toRequires.length + fromRequires.length === 0) continue;
    const candidates = new Set<number>();
    for (const [key] of [...toRequires, ...fromRequires]) {
      for (const i of providers.get(key) ?? []) candidates.add(i);
    }
    for (const i of [...candidates].sort((a, b) => a - b)) {
      const t = moves[i]!;
      if (x.service === t.service) continue;
      const provided = fresh[i]!;
      const before = stale[i]!;
      for (const [key, range] of toRequires) {
        if (provided[key] === undefined || !satisfiesRange(provided[key], range)) continue;
        if (before[key] !== undefined && satisfiesRange(before[key], range)) continue;
        const old = t.from === null ? "" : `, ${t.service}@${t.from} does not`;
        add(
          t.service,
          x.service,
          `${x.service}@${x.to} requires ${key} ${range}: ${t.service}@${t.to} provides it${old}`,
        );
      }
      for (const [key, range] of fromRequires) {
        const next = provided[key];
        const breaks =
          next !== undefined
            ? !satisfiesRange(next, range)
            : before[key] !== undefined && satisfiesRange(before[key], range);
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
