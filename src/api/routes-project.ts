import type { FastifyInstance } from "fastify";
import { TandemError } from "../core/errors.js";
import { LIMITS } from "../core/limits.js";
import { assertEnvironment, publishVersion, registryView, serviceVersions } from "../registry/view.js";
import type { OutboxStatus } from "../store/types.js";
import type { ApiContext } from "./context.js";
import { offsetPage, pageSize } from "./paging.js";
import { RELEASE_REQUEST } from "./routes-releases.js";
import {
  ANY_ARRAY,
  ANY_OBJECT,
  COUNT,
  NAME,
  REGISTRY,
  RELEASE,
  responses,
  strictObject,
  WHERE_ENTRY,
  WHOAMI,
} from "./schemas.js";

const PREFIX = "/api/v1";
const PAIRS = {
  type: "object",
  maxProperties: 50,
  additionalProperties: { type: "string", minLength: 1, maxLength: 100 },
} as const;
/** The cursor of a list paged by offset. */
const OFFSET = { type: "string", pattern: "^[0-9]{1,9}$" } as const;
const DATE = {
  type: "string",
  maxLength: 40,
  pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+Z?)?$",
} as const;

function parseDate(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `${name} "${text}" is not a date`);
  return at;
}

/** Dry runs, registry, versions, notifications, the delivery report and whoami. */
export function registerProjectRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const o = ctx.orchestrator;
  type ReleaseBody = { Body: { services: string[]; environment?: string; overrideFreeze?: string } };

  app.get(
    `${PREFIX}/whoami`,
    {
      schema: {
        summary: "the token's identity and role",
        response: responses(WHOAMI),
      },
    },
    async (request) => {
      const { name, actor, role, environments, expiresAt } = ctx.token(request);
      return { name, actor, role, environments, ...(expiresAt === undefined ? {} : { expiresAt }) };
    },
  );

  app.post<ReleaseBody>(
    `${PREFIX}/plan`,
    {
      schema: {
        summary: "the release DAG a request would create (dry run)",
        body: RELEASE_REQUEST,
        response: responses(ANY_OBJECT),
      },
    },
    async (request) => o.plan({ ...request.body, ...ctx.source(request) }),
  );

  app.post<ReleaseBody>(
    `${PREFIX}/validate`,
    {
      schema: {
        summary: "run every check of a release request without creating it",
        body: RELEASE_REQUEST,
        response: responses(strictObject({ ok: { type: "boolean" }, release: RELEASE })),
      },
    },
    async (request) => ({
      ok: true,
      release: await o.validate({ ...request.body, ...ctx.source(request) }),
    }),
  );

  app.get<{ Querystring: { environment?: string } }>(
    `${PREFIX}/registry`,
    {
      schema: {
        summary: "stable versions and requirement checks per environment",
        querystring: strictObject({ environment: NAME }),
        response: responses(REGISTRY),
      },
    },
    async (request) => registryView(o.store, o.config, request.query.environment),
  );

  app.get<{ Querystring: { environment?: string } }>(
    `${PREFIX}/registry/where`,
    {
      schema: {
        summary: "what runs where: stable version, instances and router of each service",
        querystring: strictObject({ environment: NAME }),
        response: responses({ type: "array", items: WHERE_ENTRY }),
      },
    },
    async (request) => {
      if (request.query.environment) assertEnvironment(o.config, request.query.environment);
      return o.where(request.query.environment);
    },
  );

  app.get<{ Querystring: { environment?: string; service?: string; limit?: string } }>(
    `${PREFIX}/registry/history`,
    {
      schema: {
        summary: `the registry's history in an environment, newest first (limit: default 50, at most ${LIMITS.maxPage})`,
        querystring: strictObject({ environment: NAME, service: NAME, limit: COUNT }),
        response: responses(ANY_ARRAY),
      },
    },
    async (request) => {
      const limit = pageSize(request.query.limit, 50, LIMITS.maxPage);
      const environment = request.query.environment ?? o.defaultEnvironment();
      assertEnvironment(o.config, environment);
      return o.store.registryHistory(o.config.project, environment, request.query.service, limit);
    },
  );

  app.get<{ Querystring: { service?: string; limit?: string; after?: string } }>(
    `${PREFIX}/versions`,
    {
      schema: {
        summary: `published versions (of one service), newest first (limit: at most ${LIMITS.maxPage}; after: the next-page cursor)`,
        querystring: strictObject({ service: NAME, limit: COUNT, after: OFFSET }),
        response: responses(ANY_ARRAY),
      },
    },
    async (request, reply) => {
      const limit = pageSize(request.query.limit, LIMITS.maxPage, LIMITS.maxPage);
      const versions = request.query.service
        ? await serviceVersions(o.store, o.config, request.query.service)
        : await o.store.listVersions(o.config.project);
      return offsetPage(reply, versions, request.query.after, limit);
    },
  );

  app.post<{
    Body: {
      service: string;
      version: string;
      provides?: Record<string, string>;
      requires?: Record<string, string>;
    };
  }>(
    `${PREFIX}/versions`,
    {
      schema: {
        summary: "publish what a version provides and requires",
        body: strictObject({ service: NAME, version: NAME, provides: PAIRS, requires: PAIRS }, [
          "service",
          "version",
        ]),
        response: responses(ANY_OBJECT, 201),
      },
    },
    async (request, reply) => {
      const { service, version, provides = {}, requires = {} } = request.body;
      const stored = await publishVersion(o.store, o.config, {
        service,
        version,
        metadata: { provides, requires },
        ...ctx.source(request),
        now: ctx.clock.now(),
      });
      return reply.code(201).send(stored);
    },
  );

  app.get<{ Querystring: { channel?: string; all?: string; limit?: string; after?: string } }>(
    `${PREFIX}/notifications`,
    {
      schema: {
        summary: `notification deliveries: pending and dead (all=true: delivered too; limit: at most ${LIMITS.maxPage}; after: the next-page cursor)`,
        querystring: strictObject({
          channel: NAME,
          all: { enum: ["true", "false"] },
          limit: COUNT,
          after: OFFSET,
        }),
        response: responses(ANY_ARRAY),
      },
    },
    async (request, reply) => {
      const limit = pageSize(request.query.limit, LIMITS.maxPage, LIMITS.maxPage);
      const statuses: OutboxStatus[] = request.query.all === "true" ? [] : ["pending", "dead"];
      const deliveries = await o.store.listOutbox({ statuses, channel: request.query.channel });
      return offsetPage(reply, deliveries, request.query.after, limit);
    },
  );

  app.post<{ Body: { ids?: string[]; allDead?: boolean } }>(
    `${PREFIX}/notifications/retry`,
    {
      schema: {
        summary: "make dead deliveries pending again (ids, or every one with allDead)",
        body: strictObject({
          ids: {
            type: "array",
            minItems: 1,
            maxItems: 1000,
            items: { type: "string", minLength: 1, maxLength: 100 },
          },
          allDead: { type: "boolean", enum: [true] },
        }),
        response: responses(strictObject({ revived: { type: "integer" } })),
      },
    },
    async (request) => {
      const { ids, allDead } = request.body;
      if (!ids && !allDead) {
        throw new TandemError(
          "TANDEM_ERR_INVALID_REQUEST",
          "name the deliveries to retry (ids) or pass allDead: true",
        );
      }
      // Through the orchestrator, so the retry is in the audit trail like the CLI's.
      return { revived: await o.reviveNotifications(allDead ? undefined : ids, ctx.source(request)) };
    },
  );

  app.get<{ Querystring: { since?: string; until?: string; environment?: string; service?: string } }>(
    `${PREFIX}/report`,
    {
      schema: {
        summary: `delivery analytics (DORA metrics) as JSON; default the last 30 days, at most ${LIMITS.maxRangeMs / 86_400_000} days`,
        querystring: strictObject({ since: DATE, until: DATE, environment: NAME, service: NAME }),
        response: responses(ANY_OBJECT),
      },
    },
    async (request) => {
      const q = request.query;
      if (q.environment) assertEnvironment(o.config, q.environment);
      return o.analytics({
        since: parseDate(q.since, "since"),
        until: parseDate(q.until, "until"),
        environment: q.environment,
        service: q.service,
      });
    },
  );
}
