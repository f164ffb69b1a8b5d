import type { FastifyInstance } from "fastify";
import { LIMITS } from "../core/limits.js";
import type { ApiContext } from "./context.js";
import { pageSize, withNextCursor } from "./paging.js";
import {
  ANY_OBJECT,
  COMMAND,
  COUNT,
  EVENT,
  ID_PARAMS,
  NAME,
  RELEASE,
  responses,
  SEQ,
  SERVICE_VERSION,
  strictObject,
  TEXT,
} from "./schemas.js";

const PREFIX = "/api/v1";

/** The request of `tandem deploy` (and plan, validate). */
export const RELEASE_REQUEST = strictObject(
  {
    services: { type: "array", minItems: 1, maxItems: 50, items: SERVICE_VERSION },
    environment: NAME,
    overrideFreeze: { ...TEXT, minLength: 1 },
  },
  ["services"],
);

const DECISION = strictObject({ service: NAME, comment: TEXT });
const CONTROL = strictObject({ service: NAME, reason: TEXT, force: { type: "boolean" } });

interface Id {
  id: string;
}

/** Releases: list, create, status, events, and the commands a person gives a running release. */
export function registerReleaseRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const o = ctx.orchestrator;

  app.get<{
    Querystring: { environment?: string; service?: string; active?: string; limit?: string; before?: string };
  }>(
    `${PREFIX}/releases`,
    {
      schema: {
        summary: `list releases, newest first (limit: default 20, at most ${LIMITS.maxPage}; before: the next-page cursor)`,
        querystring: strictObject({
          environment: NAME,
          service: NAME,
          active: { enum: ["true", "false"] },
          limit: COUNT,
          before: ID_PARAMS.properties.id,
        }),
        response: responses({ type: "array", items: RELEASE }),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const limit = pageSize(q.limit, 20, LIMITS.maxPage);
      const releases = await o.history({
        environment: q.environment,
        service: q.service,
        active: q.active === undefined ? undefined : q.active === "true",
        limit,
        before: q.before,
      });
      return withNextCursor(reply, releases, limit, (page) => page.at(-1)?.id);
    },
  );

  app.post<{ Body: { services: string[]; environment?: string; overrideFreeze?: string } }>(
    `${PREFIX}/releases`,
    {
      schema: {
        summary: "create a release (tandem deploy)",
        body: RELEASE_REQUEST,
        response: responses(RELEASE, 201),
      },
    },
    async (request, reply) => {
      const environment = request.body.environment ?? o.defaultEnvironment();
      const release = await o.createRelease({
        ...request.body,
        environment,
        ...ctx.source(request),
      });
      return reply.code(201).send(release);
    },
  );

  app.get<{ Params: Id }>(
    `${PREFIX}/releases/:id`,
    {
      schema: {
        summary: "a release with its rollouts and steps",
        params: ID_PARAMS,
        response: responses(RELEASE),
      },
    },
    async (request) => o.getStatus(request.params.id),
  );

  app.get<{ Params: Id; Querystring: { after?: string; limit?: string } }>(
    `${PREFIX}/releases/:id/events`,
    {
      schema: {
        summary: `a release's events, oldest first (after: only those with a greater seq, the next-page cursor; limit: at most ${LIMITS.maxEventPage})`,
        params: ID_PARAMS,
        querystring: strictObject({ after: SEQ, limit: COUNT }),
        response: responses({ type: "array", items: EVENT }),
      },
    },
    async (request, reply) => {
      const limit = pageSize(request.query.limit, LIMITS.maxEventPage, LIMITS.maxEventPage);
      await o.getStatus(request.params.id);
      const events = await o.events(
        request.params.id,
        request.query.after === undefined ? undefined : Number(request.query.after),
        limit,
      );
      return withNextCursor(reply, events, limit, (page) => page.at(-1)?.seq);
    },
  );

  for (const decision of ["approve", "reject"] as const) {
    app.post<{ Params: Id; Body: { service?: string; comment?: string } }>(
      `${PREFIX}/releases/:id/${decision}`,
      {
        schema: {
          summary: `${decision} the release's open gate (as the token's actor)`,
          params: ID_PARAMS,
          body: DECISION,
          response: responses(COMMAND),
        },
      },
      async (request) => {
        const release = await o.getStatus(request.params.id);
        return o[decision](release.id, { ...request.body, ...ctx.source(request) });
      },
    );
  }

  for (const control of ["abort", "resume"] as const) {
    app.post<{ Params: Id; Body: { service?: string; reason?: string; force?: boolean } }>(
      `${PREFIX}/releases/:id/${control}`,
      {
        schema: {
          summary:
            control === "abort" ? "abort a release" : "continue past a pause (force: skip a timed pause too)",
          params: ID_PARAMS,
          body: CONTROL,
          response: responses(COMMAND),
        },
      },
      async (request) => {
        const release = await o.getStatus(request.params.id);
        const source = ctx.source(request);
        const { force, ...rest } = request.body;
        return control === "abort"
          ? o.abort(release.id, { ...rest, ...source })
          : o.resume(release.id, { ...rest, force, ...source });
      },
    );
  }

  app.post<{ Params: Id; Body: { to?: string; overrideFreeze?: string } }>(
    `${PREFIX}/releases/:id/promote`,
    {
      schema: {
        summary: "release the same versions into the next environment",
        params: ID_PARAMS,
        body: strictObject({ to: NAME, overrideFreeze: { ...TEXT, minLength: 1 } }),
        response: responses(RELEASE, 201),
      },
    },
    async (request, reply) => {
      const source = await o.getStatus(request.params.id);
      const release = await o.promote(source.id, { ...request.body, ...ctx.source(request) });
      return reply.code(201).send(release);
    },
  );

  app.post<{ Body: { service: string; environment?: string; to?: string; reason?: string } }>(
    `${PREFIX}/rollback`,
    {
      schema: {
        summary:
          "roll a service back: during a release, a command; afterwards, a release of the previous version",
        body: strictObject({ service: NAME, environment: NAME, to: NAME, reason: TEXT }, ["service"]),
        response: responses(
          strictObject({
            kind: { enum: ["command", "release"] },
            releaseId: { type: "string" },
            release: ANY_OBJECT,
          }),
        ),
      },
    },
    async (request) => {
      const environment = request.body.environment ?? o.defaultEnvironment();
      const result = await o.rollback(request.body.service, {
        ...request.body,
        environment,
        ...ctx.source(request),
      });
      return result.kind === "command"
        ? result
        : { kind: "release", releaseId: result.release.id, release: result.release };
    },
  );
}
