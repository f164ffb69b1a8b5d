import type { FastifyInstance } from "fastify";
import { NotFoundError } from "../core/errors.js";
import type { ApiContext } from "./context.js";
import { ID_PARAMS, NAME, responses, strictObject, TOKEN } from "./schemas.js";
import { createToken, ROLES, revokeToken, tokenView } from "./tokens.js";

const PREFIX = "/api/v1";

/** Tokens (admin only): the token itself is in the create response and nowhere else. */
export function registerTokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    `${PREFIX}/tokens`,
    {
      schema: {
        summary: "list API tokens (never the tokens themselves)",
        response: responses({ type: "array", items: TOKEN }),
      },
    },
    async () => (await ctx.store.listTokens()).map(tokenView),
  );

  app.post<{
    Body: { name: string; role: string; environments?: string[]; expires?: string; actor?: string };
  }>(
    `${PREFIX}/tokens`,
    {
      schema: {
        summary: "create an API token; the response is the only place it is ever shown",
        body: strictObject(
          {
            name: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
            role: { enum: [...ROLES] },
            environments: { type: "array", maxItems: 50, items: NAME },
            expires: { type: "string", minLength: 1, maxLength: 20, pattern: "^[0-9]+(ms|s|m|h|d)$" },
            actor: NAME,
          },
          ["name", "role"],
        ),
        response: responses(strictObject({ token: { type: "string" }, record: TOKEN }), 201),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createToken(ctx.store, ctx.clock, request.body, ctx.source(request), ctx.token(request))),
  );

  app.delete<{ Params: { id: string } }>(
    `${PREFIX}/tokens/:id`,
    {
      schema: {
        summary: "revoke an API token (by id or name)",
        params: ID_PARAMS,
        response: responses(strictObject({ revoked: { type: "string" } })),
      },
    },
    async (request) => {
      const revoked = await revokeToken(
        ctx.store,
        ctx.clock,
        request.params.id,
        ctx.source(request),
        ctx.token(request),
      );
      if (!revoked) {
        throw new NotFoundError(`active token ${request.params.id}`, "GET /api/v1/tokens lists them");
      }
      return { revoked: request.params.id };
    },
  );
}
