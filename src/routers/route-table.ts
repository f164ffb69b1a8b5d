import type { RouteBackend, RouteEndpoint, RouteTable } from "./types.js";

/**
 * True when both tables route the same versions, weights, endpoints and preview. The order of backends
 * and of endpoints does not matter. The engine uses this to skip applying an unchanged table, and the
 * builtin router's client uses it to check that the router serves what it was given.
 */
export function sameRouteTable(a: RouteTable | undefined, b: RouteTable): boolean {
  if (a === undefined) return false;
  if (a === b) return true;
  if (a.backends.length !== b.backends.length) return false;
  // Compared in place, without building a string per table: the engine asks once per rollout per pass.
  const left = byVersion(a.backends);
  const right = byVersion(b.backends);
  for (let i = 0; i < left.length; i++) {
    const x = left[i] as RouteBackend;
    const y = right[i] as RouteBackend;
    if (x.version !== y.version || x.weight !== y.weight || !sameEndpoints(x.endpoints, y.endpoints))
      return false;
  }
  if (!a.preview || !b.preview) return !a.preview && !b.preview;
  return a.preview.version === b.preview.version && sameEndpoints(a.preview.endpoints, b.preview.endpoints);
}

function byVersion(backends: RouteBackend[]): readonly RouteBackend[] {
  const sorted = backends.every((backend, i) => i === 0 || inOrder(backends[i - 1] as RouteBackend, backend));
  return sorted ? backends : [...backends].sort((x, y) => x.version.localeCompare(y.version));
}

function inOrder(x: RouteBackend, y: RouteBackend): boolean {
  return x.version.localeCompare(y.version) <= 0;
}

/** The same endpoints, whatever their order (as multisets of id, host and port). */
function sameEndpoints(a: readonly RouteEndpoint[], b: readonly RouteEndpoint[]): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && sameEndpoint(a[i] as RouteEndpoint, b[i] as RouteEndpoint)) i++;
  if (i === a.length) return true;
  const key = (e: RouteEndpoint) => `${e.id}@${e.host}:${e.port}`;
  const x = a.slice(i).map(key).sort();
  const y = b.slice(i).map(key).sort();
  return x.every((k, j) => k === y[j]);
}

function sameEndpoint(x: RouteEndpoint, y: RouteEndpoint): boolean {
  return x.id === y.id && x.host === y.host && x.port === y.port;
}
