import type { VersionMetadata } from "../core/types.js";
import type { CompatibilityInput, LiveService, ServiceMove } from "./types.js";

/** Hand-built cases for the compatibility tests. */

export function meta(
  service: string,
  version: string,
  requires: Record<string, string> = {},
  provides: Record<string, string> = {},
): VersionMetadata {
  return {
    project: "shop",
    service,
    version,
    provides,
    requires,
    publishedAt: 1_000,
    publishedBy: "ci",
    source: "publish",
  };
}

/** `service` moves from `from` to `to`; requirements/provides of each side are optional. */
export function move(
  service: string,
  from: string | null,
  to: string,
  sides: {
    from?: { requires?: Record<string, string>; provides?: Record<string, string> };
    to?: { requires?: Record<string, string>; provides?: Record<string, string> };
  } = {},
): ServiceMove {
  const result: ServiceMove = { service, from, to };
  if (sides.from && from !== null)
    result.fromMeta = meta(service, from, sides.from.requires, sides.from.provides);
  if (sides.to) result.toMeta = meta(service, to, sides.to.requires, sides.to.provides);
  return result;
}

export function live(
  service: string,
  version: string,
  requires?: Record<string, string>,
  provides?: Record<string, string>,
): LiveService {
  return requires || provides
    ? { service, version, meta: meta(service, version, requires, provides) }
    : { service, version };
}

/** precedes() from `a -> b` edges, transitively. */
export function precedesFrom(edges: Array<[string, string]>): (a: string, b: string) => boolean {
  const reach = (from: string, to: string, seen: Set<string>): boolean =>
    edges.some(([a, b]) => a === from && !seen.has(b) && (b === to || reach(b, to, new Set([...seen, b]))));
  return (a, b) => reach(a, b, new Set());
}

export function input(parts: {
  moves?: ServiceMove[];
  live?: LiveService[];
  order?: Array<[string, string]>;
  known?: VersionMetadata[];
}): CompatibilityInput {
  return {
    environment: "production",
    moves: parts.moves ?? [],
    live: parts.live ?? [],
    precedes: precedesFrom(parts.order ?? []),
    known: parts.known ?? [],
  };
}
