import type { FastifyRequest } from "fastify";
import type { AuditSource } from "../audit/entries.js";
import type { Clock } from "../core/clock.js";
import type { TokenRef } from "../core/types.js";
import type { Orchestrator } from "../orchestrator.js";
import type { Store, TokenRecord } from "../store/types.js";

/**
 * What the API's route handlers share (server.ts builds it and registers the routes): kept apart from
 * server.ts so that the routes import it and server.ts imports the routes, one way.
 */

declare module "fastify" {
  interface FastifyRequest {
    /** The caller's token, set for every route that is not public. */
    token?: TokenRecord;
  }
}

/** What route handlers use. */
export interface ApiContext {
  orchestrator: Orchestrator;
  store: Store;
  clock: Clock;
  /** The caller's token (a route that is not public always has one). */
  token(request: FastifyRequest): TokenRecord;
  /** 403 unless the caller's token covers `environment`. */
  allowEnvironment(request: FastifyRequest, environment: string): void;
  /** Who acts, for commands and the audit trail: the token's actor (normalised) and the token, through the API. */
  source(request: FastifyRequest): AuditSource & { token: TokenRef };
}
