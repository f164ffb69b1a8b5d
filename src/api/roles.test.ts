import type { AddressInfo } from "node:net";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES, routeKey } from "./permissions.js";
import { type ApiFixture, createSeed, openFixture, type Seed } from "./test-fixture.js";

type Env = "staging" | "production";
interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
  components?: Record<string, unknown>;
}
interface Case {
  route: string;
  environment?: Env;
  request(seed: Seed): { method: "GET" | "POST" | "DELETE"; url: string; payload?: unknown };
}

const V = "/api/v1";
const get = (url: string) => () => ({ method: "GET" as const, url });
const post = (url: (s: Seed) => string, payload: unknown) => (s: Seed) => ({
  method: "POST" as const,
  url: url(s),
  payload,
});
const release = (env: Env) => (s: Seed) => (env === "staging" ? s.s2 : s.p1);

/** One request per route (two for a route limited by environment) that succeeds for a role allowed to make it. */
const CASES: Case[] = [
  { route: "GET /healthz", request: get("/healthz") },
  { route: "GET /", request: get("/") },
  { route: "GET /assets/*", request: get("/assets/app.js") },
  { route: `GET ${V}/openapi.json`, request: get(`${V}/openapi.json`) },
  { route: "GET /metrics", request: get("/metrics") },
  { route: `GET ${V}/whoami`, request: get(`${V}/whoami`) },
  { route: `GET ${V}/releases`, request: get(`${V}/releases?active=true`) },
  { route: `GET ${V}/releases/:id`, request: (s) => ({ method: "GET", url: `${V}/releases/${s.p1}` }) },
  {
    route: `GET ${V}/releases/:id/events`,
    request: (s) => ({ method: "GET", url: `${V}/releases/${s.s1}/events` }),
  },
  {
    route: `POST ${V}/releases`,
    environment: "staging",
    request: post(() => `${V}/releases`, { services: ["web@2.0.0"], environment: "staging" }),
  },
  {
    route: `POST ${V}/releases`,
    environment: "production",
    request: post(() => `${V}/releases`, { services: ["web@1.0.0"], environment: "production" }),
  },
  ...(["staging", "production"] as const).flatMap((env) =>
    (["approve", "reject", "abort", "resume"] as const).map((action) => ({
      route: `POST ${V}/releases/:id/${action}`,
      environment: env,
      request: post((s) => `${V}/releases/${release(env)(s)}/${action}`, {}),
    })),
  ),
  {
    route: `POST ${V}/releases/:id/promote`,
    environment: "production",
    request: post((s) => `${V}/releases/${s.s1}/promote`, { to: "production" }),
  },
  ...(["staging", "production"] as const).map((env) => ({
    route: `POST ${V}/rollback`,
    environment: env,
    request: post(() => `${V}/rollback`, { service: "api", environment: env, reason: "matrix" }),
  })),
  { route: `POST ${V}/plan`, request: post(() => `${V}/plan`, { services: ["web@2.0.0"] }) },
  { route: `POST ${V}/validate`, request: post(() => `${V}/validate`, { services: ["web@2.0.0"] }) },
  { route: `GET ${V}/registry`, request: get(`${V}/registry`) },
  { route: `GET ${V}/registry/where`, request: get(`${V}/registry/where?environment=staging`) },
  {
    route: `GET ${V}/registry/history`,
    request: get(`${V}/registry/history?environment=staging&service=api`),
  },
  { route: `GET ${V}/versions`, request: get(`${V}/versions?service=api`) },
  {
    route: `POST ${V}/versions`,
    request: post(() => `${V}/versions`, { service: "api", version: "9.9.9", requires: { web: "^1" } }),
  },
  { route: `GET ${V}/notifications`, request: get(`${V}/notifications?all=true`) },
  {
    route: `POST ${V}/notifications/retry`,
    request: post(() => `${V}/notifications/retry`, { allDead: true }),
  },
  { route: `GET ${V}/report`, request: get(`${V}/report?environment=staging`) },
  { route: `GET ${V}/audit`, request: get(`${V}/audit?origin=library&limit=5`) },
  { route: `GET ${V}/audit/verify`, request: get(`${V}/audit/verify`) },
  { route: `POST ${V}/down`, request: post(() => `${V}/down`, { environment: "production", force: true }) },
  {
    route: `POST ${V}/simulate`,
    request: post(() => `${V}/simulate`, { service: "web", errorRate: "5%", horizon: "1h" }),
  },
  { route: `GET ${V}/schema`, request: get(`${V}/schema`) },
  {
    route: `GET ${V}/events/stream`,
    request: (s) => ({ method: "GET", url: `${V}/events/stream?release=${s.s1}` }),
  },
  { route: `GET ${V}/tokens`, request: get(`${V}/tokens`) },
  { route: `POST ${V}/tokens`, request: post(() => `${V}/tokens`, { name: "new-one", role: "viewer" }) },
  { route: `DELETE ${V}/tokens/:id`, request: () => ({ method: "DELETE", url: `${V}/tokens/viewer` }) },
];

let seed: Seed;
beforeAll(async () => {
  seed = await createSeed();
}, 60_000);

/** Sends the request; for the event stream, over real HTTP, reading only the status. */
async function send(
  f: ApiFixture,
  c: Case,
  token: string | undefined,
): Promise<{ status: number; body: string }> {
  const r = c.request(seed);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (c.route.endsWith("/events/stream")) {
    await f.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = f.app.server.address() as AddressInfo;
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}${r.url}`, { headers, signal: controller.signal });
    const body = response.ok ? "" : await response.text();
    controller.abort();
    return { status: response.status, body };
  }
  const response = await f.app.inject({
    method: r.method,
    url: r.url,
    headers,
    payload: r.payload as object,
  });
  return { status: response.statusCode, body: response.body };
}

describe("the role matrix", () => {
  it("has a case for every route, and one per environment for routes limited by environment", () => {
    for (const route of ROUTES) {
      const key = routeKey(route.method, route.url);
      const cases = CASES.filter((c) => c.route === key);
      expect(cases.length, key).toBeGreaterThan(0);
      if (route.environment === "release" || route.environment === "body") {
        expect(
          cases.some((c) => c.environment === "production"),
          `${key} has a production case`,
        ).toBe(true);
      }
    }
    for (const c of CASES)
      expect(
        ROUTES.some((r) => routeKey(r.method, r.url) === c.route),
        c.route,
      ).toBe(true);
  });

  it("the server serves exactly the routes of the table", async () => {
    const f = await openFixture(seed);
    try {
      const document = (await f.app.inject({ url: `${V}/openapi.json` })).json() as {
        paths: Record<string, Record<string, unknown>>;
      };
      const served = Object.entries(document.paths)
        .flatMap(([path, methods]) =>
          Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
        )
        .sort();
      const table = ROUTES.filter((r) => !r.hidden)
        .map((r) => routeKey(r.method, r.url))
        .sort();
      expect(served).toEqual(table);
    } finally {
      await f.close();
    }
  });

  it("answers every route (as admin) with a body that matches the route's response schema in the OpenAPI document", async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    let checked = 0;
    for (const c of CASES) {
      // Not JSON of a schema of its own: the event stream, the metrics text, the document itself, and
      // the routes left out of the document (liveness, the dashboard's files).
      const hidden = ROUTES.some((r) => r.hidden && routeKey(r.method, r.url) === c.route);
      if (hidden || /events\/stream|\/metrics|openapi\.json/.test(c.route)) continue;
      const f = await openFixture(seed);
      try {
        const document = (await f.app.inject({ url: `${V}/openapi.json` })).json() as OpenApiDocument;
        const [method, url] = c.route.split(" ") as [string, string];
        const operation = document.paths[url.replace(/:(\w+)/g, "{$1}")]?.[method.toLowerCase()];
        const { status, body } = await send(f, c, seed.tokens.admin);
        expect(status, `${c.route}: ${body}`).toBeLessThan(300);
        const schema = operation?.responses[String(status)]?.content?.["application/json"]?.schema;
        expect(schema, `${c.route} answers ${status}, which its schema does not list`).toBeDefined();
        // The document's shared schemas beside the response's, so its #/components/… references resolve.
        const valid = ajv.validate(
          { ...(schema as object), components: document.components },
          JSON.parse(body),
        );
        expect(valid, `${c.route} ${status}: ${ajv.errorsText()}`).toBe(true);
        checked++;
      } finally {
        await f.close();
      }
    }
    expect(checked).toBeGreaterThan(25);
  }, 60_000);
  // Who may call each route (role × environment scope) is src/api/scopes.test.ts.
});

afterAll(async () => {
  const { rmSync } = await import("node:fs");
  if (seed) rmSync(seed.dir, { recursive: true, force: true });
});
