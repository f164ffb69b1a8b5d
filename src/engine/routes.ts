import type { Endpoint, RolloutState } from "../core/types.js";
import type { EndpointHealth } from "../probes/types.js";
import type { RouteBackend, RouteTable } from "../routers/types.js";

export interface RouteInputs {
  rollout: RolloutState;
  newEndpoints: readonly Endpoint[];
  stableEndpoints: readonly Endpoint[];
  health: (endpointId: string) => EndpointHealth | undefined;
  /** Endpoint ids the router serves now; they keep traffic until a probe says they failed. */
  routedNow: ReadonlySet<string>;
  /** Endpoints being removed (drained before they stop). */
  excluded?: ReadonlySet<string>;
}

/**
 * The route table the router should serve, derived from state alone. An endpoint receives traffic once
 * its probes made it ready, or while it is already routed and no probe has failed it (an engine that
 * restarts adopts instances whose health it has not re-checked yet without pulling them from traffic).
 */
export function desiredRouteTable(input: RouteInputs): RouteTable {
  const { rollout } = input;
  const eligible = (endpoint: Endpoint): boolean => {
    if (input.excluded?.has(endpoint.id)) return false;
    const state = input.health(endpoint.id)?.state;
    return state === "ready" || (state !== "failed" && input.routedNow.has(endpoint.id));
  };
  const toRoute = (endpoints: readonly Endpoint[]) =>
    endpoints.filter(eligible).map((e) => ({ id: e.id, host: e.host, port: e.port }));

  const backends: RouteBackend[] = [];
  const newRoutes = toRoute(input.newEndpoints);
  if (rollout.stableVersion === null || rollout.stableVersion === rollout.version) {
    backends.push({ version: rollout.version, weight: 100, endpoints: newRoutes });
    return { backends };
  }
  const stableRoutes = toRoute(input.stableEndpoints);
  backends.push({ version: rollout.stableVersion, weight: 100 - rollout.weight, endpoints: stableRoutes });
  backends.push({ version: rollout.version, weight: rollout.weight, endpoints: newRoutes });
  // While the move is under way, the preview listener serves the new version alone.
  if (rollout.phase !== "progressing") return { backends };
  return { backends, preview: { version: rollout.version, endpoints: newRoutes } };
}

export function routedEndpointIds(table: RouteTable | undefined): Set<string> {
  return new Set(table?.backends.flatMap((b) => b.endpoints.map((e) => e.id)) ?? []);
}
