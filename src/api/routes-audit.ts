import type { FastifyInstance } from "fastify";
import { auditFilter } from "../audit/filter.js";
import { verifyStoredAudit } from "../audit/store-verify.js";
import { AUDIT_ORIGINS } from "../audit/types.js";
import { TandemError } from "../core/errors.js";
import { LIMITS } from "../core/limits.js";
import type { ApiContext } from "./context.js";
import { withNextCursor } from "./paging.js";
import { ANY_ARRAY, ANY_OBJECT, COUNT, NAME, responses, SEQ, strictObject, TEXT } from "./schemas.js";

const PREFIX = "/api/v1";

interface AuditQuery {
  actor?: string;
  action?: string;
  subject?: string;
  since?: string;
  origin?: string;
  limit?: string;
  before?: string;
}

/** The audit trail (`tandem audit`, `tandem audit verify`) over the API. */
export function registerAuditRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: AuditQuery }>(
    `${PREFIX}/audit`,
    {
      schema: {
        summary: `the audit trail, oldest first (the newest \`limit\`, default 100, at most ${LIMITS.maxAuditPage}; before: the next-page cursor), filtered`,
        querystring: strictObject({
          actor: TEXT,
          action: NAME,
          subject: TEXT,
          since: { type: "string", minLength: 1, maxLength: 40 },
          origin: { enum: [...AUDIT_ORIGINS] },
          limit: COUNT,
          before: SEQ,
        }),
        response: responses(ANY_ARRAY),
      },
    },
    async (request, reply) => {
      const filter = auditFilter(request.query, ctx.clock.now(), "");
      const entries = await ctx.store.listAudit(filter);
      return withNextCursor(reply, entries, filter.limit ?? 100, (page) => page[0]?.seq);
    },
  );

  app.get<{ Querystring: { expectHead?: string } }>(
    `${PREFIX}/audit/verify`,
    {
      schema: {
        summary: "recompute the audit trail's hash chain: ok, or the first edited, deleted or inserted entry",
        querystring: strictObject({ expectHead: { type: "string", minLength: 1, maxLength: 100 } }),
        response: responses(ANY_OBJECT),
      },
    },
    async (request) => {
      // The chain is only as good as the file holding it: a damaged file is never "ok". quick_check, not
      // integrity_check, so that any reader's request stays cheap; `tandem store check --full` on the
      // server's machine does the rest.
      const problems = await ctx.store.checkIntegrity("quick");
      if (problems.length > 0) {
        throw new TandemError(
          "TANDEM_ERR_STORE_CORRUPT",
          `the store file is damaged: ${problems.slice(0, 3).join("; ")}`,
          { hint: "run `tandem store check` where the server runs, and restore the file from a backup" },
        );
      }
      return verifyStoredAudit(ctx.store, { expectHead: request.query.expectHead });
    },
  );
}
