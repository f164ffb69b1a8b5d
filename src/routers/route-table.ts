import type { RouteEndpoint, RouteTable } from "./types.js";

/**
 * True when both tables route the same versions, weights, endpoints and preview. The order of backends
 * and of endpoints does not matter. The engine uses this to skip applying an unchanged table, and the
 * builtin router's client uses it to check that the router serves what it was given.
 */
export function sameRouteTable(a: RouteTable | undefined, b: RouteTable): boolean {
  return a !== undefined && canonical(a) === canonical(b);
}

function canonical(table: RouteTable): string {
  const endpoints = (list: RouteEndpoint[]) => list.map((e) => `${e.id}@${e.host}:${e.port}`).sort();
  return JSON.stringify([
    [...table.backends]
      .sort((x, y) => x.version.localeCompare(y.version))
      .map((backend) => [backend.version, backend.weight, endpoints(backend.endpoints)]),
    table.preview ? [table.preview.version, endpoints(table.preview.endpoints)] : null,
  ]);
}
