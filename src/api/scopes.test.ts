import type { AddressInfo } from "node:net";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES, routeKey } from "./permissions.js";
import { type ApiFixture, createSeed, openFixture, type Seed } from "./test-fixture.js";
import { createToken } from "./tokens.js";

/**
 * Scopes are a ceiling: every route × every role × {all environments, staging only, production only},
 * against the table below, written out by hand (not computed from src/api/permissions.ts). A refused
 * call leaves the store exactly as it was.
 *
 * Each expectation is three letters, for the token of that role for all environments, limited to
 * staging, limited to production: `y` succeeds (2xx), `n` is refused (403 TANDEM_ERR_FORBIDDEN).
 */
type Letters = `${"y" | "n"}${"y" | "n"}${"y" | "n"}`;
interface Expected {
  viewer: Letters;
  deployer: Letters;
  approver: Letters;
  admin: Letters;
}
interface Case {
  route: string;
  /** What the case is about beyond the route (the environment it touches). */
  label?: string;
  /** Public routes answer without a token; the others answer 401 without one. */
  public?: true;
  /** Changes the store when allowed: each allowed call runs on a fresh copy. */
  writes?: true;
  request(seed: Seed): { method: "GET" | "POST" | "DELETE"; url: string; payload?: unknown };
  expected: Expected;
}

const V = "/api/v1";
const ALL: Expected = { viewer: "yyy", deployer: "yyy", approver: "yyy", admin: "yyy" };
const get = (url: string) => () => ({ method: "GET" as const, url });
const post = (url: string | ((s: Seed) => string), payload: unknown) => (s: Seed) => ({
  method: "POST" as const,
  url: typeof url === "string" ? url : url(s),
  payload,
});
const read = (route: string, request: Case["request"], isPublic?: true): Case => ({
  route,
  request,
  expected: ALL,
  ...(isPublic ? { public: true as const } : {}),
});
const write = (
  route: string,
  label: string,
  request: Case["request"],
  expected: Partial<Expected>,
): Case => ({
  route,
  label,
  writes: true,
  request,
  expected: { viewer: "nnn", deployer: "nnn", approver: "nnn", admin: "nnn", ...expected },
});

const CASES: Case[] = [
  read("GET /healthz", get("/healthz"), true),
  read("GET /", get("/"), true),
  read("GET /assets/*", get("/assets/app.js"), true),
  read(`GET ${V}/openapi.json`, get(`${V}/openapi.json`), true),
  read("GET /metrics", get("/metrics")),
  read(`GET ${V}/whoami`, get(`${V}/whoami`)),
  read(`GET ${V}/releases`, get(`${V}/releases`)),
  read(`GET ${V}/releases/:id`, (s) => ({ method: "GET", url: `${V}/releases/${s.p1}` })),
  read(`GET ${V}/releases/:id/events`, (s) => ({ method: "GET", url: `${V}/releases/${s.p1}/events` })),
  read(`POST ${V}/plan`, post(`${V}/plan`, { services: ["web@2.0.0"], environment: "staging" })),
  read(`POST ${V}/validate`, post(`${V}/validate`, { services: ["web@2.0.0"], environment: "staging" })),
  read(`GET ${V}/registry`, get(`${V}/registry`)),
  read(`GET ${V}/registry/where`, get(`${V}/registry/where?environment=production`)),
  read(`GET ${V}/registry/history`, get(`${V}/registry/history?environment=production`)),
  read(`GET ${V}/versions`, get(`${V}/versions?service=api`)),
  read(`GET ${V}/notifications`, get(`${V}/notifications?all=true`)),
  read(`GET ${V}/report`, get(`${V}/report?environment=production`)),
  read(`GET ${V}/events/stream`, (s) => ({ method: "GET", url: `${V}/events/stream?release=${s.p1}` })),
  read(`GET ${V}/audit`, get(`${V}/audit?limit=5`)),
  read(`GET ${V}/audit/verify`, get(`${V}/audit/verify`)),
  read(`POST ${V}/simulate`, post(`${V}/simulate`, { service: "web", horizon: "10m" })),
  read(`GET ${V}/schema`, get(`${V}/schema`)),

  write(
    `POST ${V}/releases`,
    "staging",
    post(`${V}/releases`, { services: ["web@2.0.0"], environment: "staging" }),
    { deployer: "yyn", admin: "yyn" },
  ),
  write(
    `POST ${V}/releases`,
    "production",
    post(`${V}/releases`, { services: ["web@1.0.0"], environment: "production" }),
    { deployer: "yny", admin: "yny" },
  ),
  write(
    `POST ${V}/releases`,
    "the default environment (staging)",
    post(`${V}/releases`, { services: ["web@2.0.0"] }),
    { deployer: "yyn", admin: "yyn" },
  ),
  ...(["approve", "reject"] as const).flatMap((action) => [
    write(
      `POST ${V}/releases/:id/${action}`,
      "a staging release",
      post((s) => `${V}/releases/${s.s2}/${action}`, {}),
      { approver: "yyn", admin: "yyn" },
    ),
    write(
      `POST ${V}/releases/:id/${action}`,
      "a production release",
      post((s) => `${V}/releases/${s.p1}/${action}`, {}),
      { approver: "yny", admin: "yny" },
    ),
  ]),
  ...(["abort", "resume"] as const).flatMap((action) => [
    write(
      `POST ${V}/releases/:id/${action}`,
      "a staging release",
      post((s) => `${V}/releases/${s.s2}/${action}`, {}),
      { deployer: "yyn", admin: "yyn" },
    ),
    write(
      `POST ${V}/releases/:id/${action}`,
      "a production release",
      post((s) => `${V}/releases/${s.p1}/${action}`, {}),
      { deployer: "yny", admin: "yny" },
    ),
  ]),
  // From staging into production: both environments must be covered.
  write(
    `POST ${V}/releases/:id/promote`,
    "staging to production",
    post((s) => `${V}/releases/${s.s1}/promote`, { to: "production" }),
    { deployer: "ynn", admin: "ynn" },
  ),
  write(
    `POST ${V}/rollback`,
    "staging",
    post(`${V}/rollback`, { service: "api", environment: "staging", reason: "matrix" }),
    { deployer: "yyn", admin: "yyn" },
  ),
  write(
    `POST ${V}/rollback`,
    "production",
    post(`${V}/rollback`, { service: "api", environment: "production", reason: "matrix" }),
    { deployer: "yny", admin: "yny" },
  ),
  write(
    `POST ${V}/versions`,
    "project-wide",
    post(`${V}/versions`, { service: "api", version: "9.9.9", requires: { web: "^1" } }),
    { deployer: "ynn", admin: "ynn" },
  ),
  write(
    `POST ${V}/notifications/retry`,
    "project-wide",
    post(`${V}/notifications/retry`, { allDead: true }),
    { deployer: "ynn", admin: "ynn" },
  ),
  write(`POST ${V}/down`, "production", post(`${V}/down`, { environment: "production", force: true }), {
    admin: "yny",
  }),
  write(`POST ${V}/down`, "staging", post(`${V}/down`, { environment: "staging", force: true }), {
    admin: "yyn",
  }),
  write(`POST ${V}/down`, "project-wide (no environment)", post(`${V}/down`, { force: true }), {
    admin: "ynn",
  }),
  write(`GET ${V}/tokens`, "project-wide", get(`${V}/tokens`), { admin: "ynn" }),
  write(
    `POST ${V}/tokens`,
    "a viewer for all environments",
    post(`${V}/tokens`, { name: "new-one", role: "viewer" }),
    { admin: "ynn" },
  ),
  write(
    `POST ${V}/tokens`,
    "a viewer for staging",
    post(`${V}/tokens`, { name: "new-one", role: "viewer", environments: ["staging"] }),
    { admin: "ynn" },
  ),
  write(
    `DELETE ${V}/tokens/:id`,
    "a viewer for all environments",
    () => ({ method: "DELETE", url: `${V}/tokens/viewer` }),
    { admin: "ynn" },
  ),
  write(
    `DELETE ${V}/tokens/:id`,
    "the global admin",
    () => ({ method: "DELETE", url: `${V}/tokens/admin` }),
    { admin: "ynn" },
  ),
];

const ROLE_NAMES = ["viewer", "deployer", "approver", "admin"] as const;
const SCOPES = [
  { suffix: "", index: 0 },
  { suffix: "-staging", index: 1 },
  { suffix: "-production", index: 2 },
] as const;

/** Every row of every table, as one string: equal before and after means the store did not change. */
function storeContents(f: ApiFixture): string {
  const db = new Database(f.store.file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

async function send(
  f: ApiFixture,
  c: Case,
  seed: Seed,
  token: string | undefined,
): Promise<{ status: number; body: string }> {
  const r = c.request(seed);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (c.route.endsWith("/events/stream")) {
    if (!f.app.server.listening) await f.app.listen({ port: 0, host: "127.0.0.1" });
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

let seed: Seed;
beforeAll(async () => {
  seed = await createSeed();
}, 60_000);
afterAll(async () => {
  const { rmSync } = await import("node:fs");
  if (seed) rmSync(seed.dir, { recursive: true, force: true });
});

describe("scopes are a ceiling: every route × role × scope", () => {
  it("covers every route of the table, in both environments where the route is limited by one", () => {
    for (const route of ROUTES) {
      const key = routeKey(route.method, route.url);
      const cases = CASES.filter((c) => c.route === key);
      expect(cases.length, key).toBeGreaterThan(0);
      if (route.environment && route.environment !== "project") {
        const labels = cases.map((c) => c.label ?? "");
        expect(
          labels.some((l) => l.includes("staging")) && labels.some((l) => l.includes("production")),
          `${key} has staging and production cases`,
        ).toBe(true);
      }
      if (route.environment === "body-or-project") {
        expect(cases.some((c) => c.label?.startsWith("project-wide"))).toBe(true);
      }
    }
    for (const c of CASES)
      expect(
        ROUTES.some((r) => routeKey(r.method, r.url) === c.route),
        c.route,
      ).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.route}${c.label ? ` (${c.label})` : ""}`, async () => {
      const mismatches: string[] = [];
      const shared = await openFixture(seed);
      try {
        let before = storeContents(shared);
        const calls = [
          ...ROLE_NAMES.flatMap((role) =>
            SCOPES.map(({ suffix, index }) => ({
              name: `${role}${suffix}`,
              allowed: c.expected[role][index] === "y",
            })),
          ),
          { name: "no token", allowed: Boolean(c.public) },
        ];
        for (const call of calls) {
          const token = call.name === "no token" ? undefined : seed.tokens[call.name];
          if (call.name !== "no token" && !token) throw new Error(`the seed has no token ${call.name}`);
          const fresh = call.allowed && c.writes ? await openFixture(seed) : undefined;
          try {
            const { status, body } = await send(fresh ?? shared, c, seed, token);
            const expected = call.allowed ? "2xx" : call.name === "no token" ? "401" : "403";
            const got = status >= 200 && status < 300 ? "2xx" : String(status);
            if (got !== expected)
              mismatches.push(`${call.name}: expected ${expected}, got ${status} ${body}`);
            else if (!call.allowed) {
              const code = JSON.parse(body).error.code;
              const wanted = expected === "401" ? "TANDEM_ERR_UNAUTHENTICATED" : "TANDEM_ERR_FORBIDDEN";
              if (code !== wanted) mismatches.push(`${call.name}: expected ${wanted}, got ${code}`);
              if (storeContents(shared) !== before)
                mismatches.push(`${call.name}: refused, but the store changed`);
            } else if (!fresh) before = storeContents(shared);
          } finally {
            await fresh?.close();
          }
        }
      } finally {
        await shared.close();
      }
      expect(mismatches).toEqual([]);
    });
  }

  it("a token for both staging and production may promote from one into the other", async () => {
    const f = await openFixture(seed);
    try {
      const { token } = await createToken(
        f.store,
        f.clock,
        { name: "both", role: "deployer", environments: ["staging", "production"] },
        { actor: "root", origin: "cli" },
      );
      const response = await f.app.inject({
        method: "POST",
        url: `${V}/releases/${seed.s1}/promote`,
        headers: { authorization: `Bearer ${token}` },
        payload: { to: "production" },
      });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json().environment).toBe("production");
    } finally {
      await f.close();
    }
  });
});
