import type { FastifyRequest } from "fastify";
import { promotionRequest } from "../engine/decisions.js";
import type { Orchestrator } from "../orchestrator.js";
import type { TokenRecord } from "../store/types.js";
import { checkEnvironment, checkUnscoped, type RoutePermission } from "./permissions.js";

/**
 * Scopes are a ceiling: checks that a token limited to some environments covers every environment
 * the request touches (the route's `environment` in src/api/permissions.ts), before the handler runs.
 * A token for all environments passes without a look at the store.
 */
export async function checkScope(
  route: RoutePermission,
  token: TokenRecord,
  request: FastifyRequest,
  orchestrator: Orchestrator,
): Promise<void> {
  if (route.environment === undefined || token.environments.length === 0) return;
  const body = (request.body ?? {}) as { environment?: string; to?: string };
  const params = (request.params ?? {}) as { id?: string };
  switch (route.environment) {
    case "project":
      return checkUnscoped(token, route);
    case "body-or-project":
      return body.environment === undefined
        ? checkUnscoped(token, route)
        : checkEnvironment(token, body.environment);
    case "body":
      return checkEnvironment(token, body.environment ?? orchestrator.defaultEnvironment());
    case "release": {
      const release = await orchestrator.getStatus(String(params.id));
      return checkEnvironment(token, release.environment);
    }
    case "promote": {
      const source = await orchestrator.getStatus(String(params.id));
      checkEnvironment(token, source.environment);
      return checkEnvironment(token, promotionRequest(orchestrator.config, source, body.to).environment);
    }
  }
}
