import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seeded } from "../analysis/stats/random.js";
import { type ApiFixture, createSeed, openFixture, type Seed } from "./test-fixture.js";

/** Deterministic PRNG, so a failure reproduces with the same seed. */
const random = seeded;

interface Template {
  method: "GET" | "POST" | "DELETE";
  url: (s: Seed) => string;
  body?: Record<string, unknown>;
  required?: string[];
  /** The route validates its query string. */
  query?: boolean;
  path?: (id: string) => string;
}

const V = "/api/v1";
const TEMPLATES: Template[] = [
  {
    method: "POST",
    url: () => `${V}/releases`,
    body: { services: ["web@2.0.0"], environment: "staging" },
    required: ["services"],
  },
  { method: "POST", url: () => `${V}/plan`, body: { services: ["web@2.0.0"] }, required: ["services"] },
  { method: "POST", url: () => `${V}/validate`, body: { services: ["web@2.0.0"] }, required: ["services"] },
  ...(["approve", "reject"] as const).map((a) => ({
    method: "POST" as const,
    url: (s: Seed) => `${V}/releases/${s.s2}/${a}`,
    body: { comment: "ok", service: "api" },
    path: (id: string) => `${V}/releases/${id}/${a}`,
  })),
  ...(["abort", "resume"] as const).map((a) => ({
    method: "POST" as const,
    url: (s: Seed) => `${V}/releases/${s.s2}/${a}`,
    body: { reason: "why", service: "api" },
    path: (id: string) => `${V}/releases/${id}/${a}`,
  })),
  {
    method: "POST",
    url: (s) => `${V}/releases/${s.s1}/promote`,
    body: { to: "production" },
    path: (id) => `${V}/releases/${id}/promote`,
  },
  {
    method: "POST",
    url: () => `${V}/rollback`,
    body: { service: "api", environment: "staging" },
    required: ["service"],
  },
  {
    method: "POST",
    url: () => `${V}/versions`,
    body: { service: "api", version: "3.0.0", provides: { x: "1.0.0" } },
    required: ["service", "version"],
  },
  { method: "POST", url: () => `${V}/notifications/retry`, body: { allDead: true } },
  {
    method: "POST",
    url: () => `${V}/tokens`,
    body: { name: "fuzz", role: "viewer" },
    required: ["name", "role"],
  },
  { method: "DELETE", url: () => `${V}/tokens/viewer`, path: (id) => `${V}/tokens/${id}` },
  { method: "GET", url: () => `${V}/releases`, query: true },
  { method: "GET", url: (s) => `${V}/releases/${s.s1}`, path: (id) => `${V}/releases/${id}` },
  {
    method: "GET",
    url: (s) => `${V}/releases/${s.s1}/events`,
    query: true,
    path: (id) => `${V}/releases/${id}/events`,
  },
  { method: "GET", url: () => `${V}/registry`, query: true },
  { method: "GET", url: () => `${V}/registry/where`, query: true },
  { method: "GET", url: () => `${V}/registry/history`, query: true },
  { method: "GET", url: () => `${V}/versions`, query: true },
  { method: "GET", url: () => `${V}/notifications`, query: true },
  { method: "GET", url: () => `${V}/report`, query: true },
  { method: "GET", url: () => `${V}/events/stream`, query: true },
];

const BAD_IDS = [
  "does-not-exist",
  "..",
  "../../etc/passwd",
  "..%2f..%2fetc%2fpasswd",
  "%2e%2e%2f%2e%2e",
  "x".repeat(5000),
  "%00",
  "<script>",
  "'; DROP TABLE releases; --",
  "é%C3%A9",
  "%zz",
];
const WEIRD_VALUES: unknown[] = [
  42,
  -1,
  1.5,
  true,
  null,
  {},
  [],
  [1, 2],
  { nested: { deep: 1 } },
  "",
  "x".repeat(100_000),
];
const BAD_QUERIES = [
  "unknown=1",
  "limit=abc",
  "limit=-5",
  "limit=99999999",
  "active=maybe",
  "after=-1",
  "environment=../../etc",
  "environment=",
  "since=yesterday",
  "release=../x",
  "all=1",
  "service=%00",
  `environment=${"e".repeat(500)}`,
];
const CONTENT_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
];

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  kind: string;
}

function generate(next: () => number, seed: Seed, auth: string): Request {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const t = pick(TEMPLATES);
  const headers: Record<string, string> = { authorization: auth };
  const json = (body: unknown) => {
    headers["content-type"] = "application/json";
    return JSON.stringify(body);
  };
  const kinds = [
    ...(t.body
      ? ["unknown-field", "wrong-type", "huge-string", "bad-json", "content-type", "not-an-object"]
      : []),
    ...(t.required ? ["missing-field"] : []),
    ...(t.path ? ["bad-id"] : []),
    ...(t.query ? ["bad-query"] : []),
  ];
  const kind = pick(kinds);
  let url = t.url(seed);
  let payload: string | undefined;
  const body = { ...t.body };
  switch (kind) {
    case "unknown-field":
      body[pick(["extra", "__proto__x", "constructor", "admin", "Services"])] = pick(WEIRD_VALUES);
      payload = json(body);
      break;
    case "wrong-type": {
      const field = pick(Object.keys(body));
      const original = body[field];
      const options = WEIRD_VALUES.filter(
        (v) => typeof v !== typeof original || (Array.isArray(original) && !Array.isArray(v)),
      );
      body[field] = pick(options.filter((v) => v !== "" || typeof original !== "string"));
      if (field === "allDead") body[field] = pick([false, 1, "true", null]);
      payload = json(body);
      break;
    }
    case "huge-string": {
      const field = pick(Object.keys(body));
      body[field] = Array.isArray(body[field]) ? ["y".repeat(50_000)] : "y".repeat(50_000);
      if (typeof t.body![field] === "object" && !Array.isArray(t.body![field]))
        body[field] = { k: "y".repeat(50_000) };
      if (typeof t.body![field] === "boolean") body[field] = "y".repeat(50_000);
      payload = json(body);
      break;
    }
    case "bad-json":
      headers["content-type"] = "application/json";
      payload = pick(["{", '{"services": [', "nul", "{'a': 1}", '{"a":1}}', "\u0000", "[1,2"]);
      break;
    case "content-type":
      headers["content-type"] = pick(CONTENT_TYPES);
      payload = pick(["services=web@2.0.0", JSON.stringify(body), "<xml/>"]);
      break;
    case "not-an-object":
      payload = json(pick([[], [body], "string", 12, null, true]));
      break;
    case "missing-field":
      delete body[pick(t.required!)];
      payload = json(body);
      break;
    case "bad-id":
      url = t.path!(pick(BAD_IDS));
      if (t.body) payload = json(body);
      break;
    case "bad-query":
      url = `${url}?${pick(BAD_QUERIES)}${next() < 0.3 ? `&${pick(BAD_QUERIES)}` : ""}`;
      break;
  }
  return { method: t.method, url, headers, payload, kind };
}

async function snapshot(f: ApiFixture) {
  const project = f.orchestrator.config.project;
  const releases = await f.store.listReleases({ project });
  const commands = await Promise.all(releases.map((r) => f.store.pendingCommands(r.id)));
  return JSON.stringify({
    releases,
    commands,
    events: await f.store.listEvents({ project }),
    tokens: await f.store.listTokens(),
    registry: [
      await f.store.registryHistory(project, "staging"),
      await f.store.registryHistory(project, "production"),
    ],
    versions: await f.store.listVersions(project),
    outbox: await f.store.listOutbox({}),
  });
}

let seed: Seed;
let f: ApiFixture;
beforeAll(async () => {
  seed = await createSeed();
  f = await openFixture(seed);
}, 60_000);
afterAll(async () => {
  await f.close();
  rmSync(seed.dir, { recursive: true, force: true });
});

describe("fuzzing the API", () => {
  it("answers 1,000 malformed requests with a 4xx and a clear message, and changes nothing", async () => {
    const before = await snapshot(f);
    const next = random(20261201);
    const auth = `Bearer ${seed.tokens.admin}`;
    const kinds = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const request = generate(next, seed, auth);
      kinds.set(request.kind, (kinds.get(request.kind) ?? 0) + 1);
      const response = await f.app.inject({
        method: request.method as "GET",
        url: request.url,
        headers: request.headers,
        payload: request.payload,
      });
      const what = `#${i} ${request.kind} ${request.method} ${request.url.slice(0, 120)} ${request.payload?.slice(0, 120)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
      expect(response.statusCode, what).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, what).toBeLessThan(500);
      const { error } = response.json();
      expect(error?.code, what).toMatch(/^TANDEM_ERR_[A-Z_]+$/);
      expect(error.message.length, what).toBeGreaterThan(5);
    }
    expect([...kinds.keys()].sort()).toEqual([
      "bad-id",
      "bad-json",
      "bad-query",
      "content-type",
      "huge-string",
      "missing-field",
      "not-an-object",
      "unknown-field",
      "wrong-type",
    ]);
    expect(await snapshot(f)).toBe(before);
  }, 120_000);
});
