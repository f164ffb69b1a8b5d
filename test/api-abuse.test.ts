import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { Pool } from "undici";
import { describe, expect, it } from "vitest";
import { useApiFixture } from "../src/api/test-fixture.js";
import { createToken, revokeToken } from "../src/api/tokens.js";

/**
 * Load and abuse (issue 12): thousands of hostile requests against a real listening server on
 * loopback, with bounded concurrency and a deadline on each. Zero 5xx, zero timeouts, the server
 * alive and its memory bounded afterwards, and the store unchanged by what it refused.
 */

const api = useApiFixture();

const REQUESTS = 2_400;
const CONCURRENCY = 16;
const SSE_CONNECTIONS = 500;
/** Stated bounds: heap growth over the run, and the whole process's resident memory. */
const MAX_HEAP_GROWTH = 200 * 1024 * 1024;
const MAX_RSS = 1536 * 1024 * 1024;

interface Shot {
  method: "GET" | "POST" | "DELETE";
  path: string;
  token?: string;
  body?: string;
  contentType?: string;
}

async function storeDump() {
  const store = api.fixture.store;
  const releases = await store.listReleases({ project: "shop" });
  const audit = await store.listAudit({});
  return JSON.stringify({
    releases: releases.map((r) => [r.id, r.revision, r.status]),
    tokens: (await store.listTokens()).map((t) => [t.id, t.name, t.revokedAt ?? null]),
    audit: [audit.length, audit.at(-1)?.hash],
    versions: (await store.listVersions("shop")).length,
    outbox: (await store.listOutbox({ statuses: [] })).length,
    events: (await store.listEvents({ project: "shop" })).length,
  });
}

function hostileShots(tokens: Record<string, string>, ids: { staging: string; production: string }): Shot[] {
  const viewer = tokens.viewer!;
  const long = "a".repeat(10_000);
  const huge = JSON.stringify({ services: ["api@1.0.0"], pad: "x".repeat(2 * 1024 * 1024) });
  const ranges = [
    "since=1970-01-01&until=9999-12-31",
    "since=9999-12-31",
    "since=2026-01-01&until=1970-01-01",
    "since=NaN",
    `since=${long}`,
    "since=0000-00-00",
    "until=2999-01-01",
  ];
  const shots: Shot[] = [
    // Hostile ranges and limits on every route that takes them.
    ...ranges.flatMap((q) => [
      { method: "GET" as const, path: `/api/v1/report?${q}`, token: viewer },
      { method: "GET" as const, path: `/api/v1/audit?${q}`, token: viewer },
    ]),
    ...["-1", "0", "NaN", "1e9", "99999", "9999", long, "5.5"].flatMap((limit) =>
      [
        "releases",
        "audit",
        "registry/history",
        "versions",
        "notifications",
        `releases/${ids.staging}/events`,
      ].map((route) => ({ method: "GET" as const, path: `/api/v1/${route}?limit=${limit}`, token: viewer })),
    ),
    { method: "GET", path: `/api/v1/releases?before=${long}`, token: viewer },
    { method: "GET", path: "/api/v1/audit?before=-3", token: viewer },
    { method: "GET", path: `/api/v1/releases/${ids.staging}/events?after=-1`, token: viewer },
    // Malformed, huge and wrong bodies on the routes that change things.
    { method: "POST", path: "/api/v1/releases", token: tokens.deployer, body: "{not json" },
    { method: "POST", path: "/api/v1/releases", token: tokens.deployer, body: "[]" },
    { method: "POST", path: "/api/v1/releases", token: tokens.deployer, body: '{"services":[]}' },
    { method: "POST", path: "/api/v1/releases", token: tokens.deployer, body: '{"services":["x"],"e":1}' },
    { method: "POST", path: "/api/v1/releases", token: tokens.deployer, body: `{"services":["${long}@1"]}` },
    { method: "POST", path: "/api/v1/releases", token: tokens.deployer, body: "null" },
    { method: "POST", path: "/api/v1/releases", token: tokens.deployer, body: '{"a":'.repeat(5_000) },
    {
      method: "POST",
      path: "/api/v1/releases",
      token: tokens.deployer,
      body: "x=1",
      contentType: "text/plain",
    },
    { method: "POST", path: `/api/v1/releases/${ids.staging}/approve`, token: tokens.approver, body: "{" },
    { method: "POST", path: "/api/v1/versions", token: tokens.deployer, body: '{"service":1}' },
    { method: "POST", path: "/api/v1/simulate", token: viewer, body: '{"service":"api","horizon":"999d"}' },
    { method: "POST", path: "/api/v1/simulate", token: viewer, body: '{"service":"api","rate":"1e12"}' },
    { method: "POST", path: "/api/v1/tokens", token: tokens.admin, body: '{"name":"x","role":"god"}' },
    { method: "DELETE", path: `/api/v1/tokens/${long.slice(0, 300)}`, token: tokens.admin },
    // Unknown routes and path tricks.
    { method: "GET", path: "/api/v1/nope", token: viewer },
    { method: "GET", path: "/api/v2/releases", token: viewer },
    { method: "GET", path: "/api/v1/../../etc/passwd", token: viewer },
    { method: "GET", path: "/api/v1/%2e%2e/%2e%2e/etc/passwd", token: viewer },
    { method: "GET", path: "/assets/..%2f..%2fpackage.json" },
    { method: "GET", path: "/assets/%2e%2e/%2e%2e/package.json" },
    { method: "GET", path: "//api//v1//releases", token: viewer },
    { method: "GET", path: `/api/v1/releases/${long}`, token: viewer },
    { method: "GET", path: `/${long}` },
    { method: "GET", path: "/api/v1/releases/%E0%A4%A", token: viewer },
    { method: "GET", path: "/api/v1/releases?environment=%ZZ", token: viewer },
    { method: "GET", path: "/api/v1/releases/%00", token: viewer },
    { method: "GET", path: "/api/v1/releases?environment=a&environment=b", token: viewer },
    // Bad, expired, revoked and other-scope tokens.
    { method: "GET", path: "/api/v1/releases", token: "tdm_unknown" },
    { method: "GET", path: "/api/v1/releases", token: tokens.expired },
    { method: "GET", path: "/api/v1/releases", token: tokens.revoked },
    { method: "GET", path: "/api/v1/releases", token: long.slice(0, 5_000) },
    {
      method: "POST",
      path: "/api/v1/releases",
      token: tokens["deployer-staging"],
      body: '{"services":["api@9.9.9"],"environment":"production"}',
    },
    {
      method: "POST",
      path: `/api/v1/releases/${ids.production}/abort`,
      token: tokens["deployer-staging"],
      body: "{}",
    },
    {
      method: "POST",
      path: `/api/v1/releases/${ids.production}/approve`,
      token: tokens["approver-staging"],
      body: "{}",
    },
    { method: "POST", path: "/api/v1/releases", token: viewer, body: '{"services":["api@9.9.9"]}' },
    { method: "POST", path: "/api/v1/down", token: tokens.deployer, body: "{}" },
    { method: "POST", path: "/api/v1/tokens", token: tokens.deployer, body: '{"name":"x","role":"admin"}' },
    { method: "GET", path: "/api/v1/tokens", token: tokens.expired },
  ];
  const out: Shot[] = [];
  for (let i = 0; out.length < REQUESTS; i++) out.push(shots[i % shots.length]!);
  // A few bodies over the 1 MiB limit, not thousands (each is 2 MiB on loopback).
  for (let i = 0; i < 20; i++)
    out[i * 97] = { method: "POST", path: "/api/v1/releases", token: tokens.deployer, body: huge };
  return out;
}

/** Opens an event stream on a raw socket and drops it after the first bytes (or at once). */
function openAndDrop(port: number, token: string, atOnce: boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const timer = setTimeout(() => finish("timeout"), 10_000);
    const finish = (status: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    socket.on("error", () => finish("error"));
    socket.on("data", (chunk: Buffer) => finish(chunk.toString("latin1").split(" ")[1] ?? "?"));
    socket.write(
      `GET /api/v1/events/stream HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n\r\n`,
      () => {
        if (atOnce) finish("dropped");
      },
    );
  });
}

describe("load and abuse", () => {
  it(`answers ${REQUESTS} hostile requests and ${SSE_CONNECTIONS} dropped streams with 4xx only, stays up, bounded, and the store unchanged`, async () => {
    const { fixture, seed } = api;
    const by = { actor: "test", origin: "library" as const };
    const expired = await createToken(
      fixture.store,
      fixture.clock,
      { name: "short", role: "admin", expires: "1m" },
      by,
    );
    const revoked = await createToken(fixture.store, fixture.clock, { name: "gone", role: "admin" }, by);
    await revokeToken(fixture.store, fixture.clock, "gone", by);
    await fixture.clock.advance(120_000);
    const tokens: Record<string, string> = { ...seed.tokens, expired: expired.token, revoked: revoked.token };
    const shots = hostileShots(tokens, { staging: seed.s2, production: seed.p1 });

    await fixture.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = fixture.app.server.address() as AddressInfo;
    const pool = new Pool(`http://127.0.0.1:${port}`, {
      connections: CONCURRENCY,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const before = await storeDump();
    (globalThis as { gc?: () => void }).gc?.();
    const heapBefore = process.memoryUsage().heapUsed;

    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < shots.length && Date.now() - started < 240_000) {
        const shot = shots[next++]!;
        const headers: Record<string, string> = {};
        if (shot.token) headers.authorization = `Bearer ${shot.token}`;
        if (shot.body !== undefined) headers["content-type"] = shot.contentType ?? "application/json";
        try {
          const response = await pool.request({
            method: shot.method,
            path: shot.path,
            headers,
            body: shot.body,
          });
          await response.body.dump({ limit: 4 * 1024 * 1024 });
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          if (response.statusCode >= 500)
            failures.push(`${response.statusCode} ${shot.method} ${shot.path.slice(0, 80)}`);
        } catch (error) {
          failures.push(`${(error as Error).name} ${shot.method} ${shot.path.slice(0, 80)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const answered = [...statuses.values()].reduce((a, b) => a + b, 0);

    const streamTokens = [tokens.viewer!, tokens.admin!, tokens.deployer!, tokens.approver!];
    const streamStatuses: string[] = [];
    for (let batch = 0; batch < SSE_CONNECTIONS / 50; batch++) {
      streamStatuses.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, i) => openAndDrop(port, streamTokens[i % 4]!, i % 2 === 0)),
        )),
      );
    }

    const count = (list: Iterable<string | number>) => {
      const out: Record<string, number> = {};
      for (const x of list) out[x] = (out[x] ?? 0) + 1;
      return out;
    };
    // Every kind of refusal was exercised: bad request, token, scope, route, body size, path length.
    expect([400, 401, 403, 404, 413, 414].filter((status) => !statuses.has(status))).toEqual([]);
    // Streams answer 200, or 429 when a token's streams are all taken; the other half never waited.
    const streams = count(streamStatuses);
    expect(Object.keys(streams).filter((s) => !["200", "429", "dropped"].includes(s))).toEqual([]);
    expect(streams.dropped).toBe(SSE_CONNECTIONS / 2);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(answered).toBe(REQUESTS);
    expect([...statuses.keys()].every((s) => (s >= 400 && s < 500) || s === 200)).toBe(true);
    expect(streamStatuses.filter((s) => s === "timeout" || s.startsWith("5"))).toEqual([]);
    expect(streamStatuses).toHaveLength(SSE_CONNECTIONS);

    // Alive: healthz and a valid request answer.
    const health = await pool.request({ method: "GET", path: "/healthz" });
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const list = await pool.request({
      method: "GET",
      path: "/api/v1/releases?limit=5",
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    expect(list.statusCode).toBe(200);
    expect(((await list.body.json()) as unknown[]).length).toBeGreaterThan(0);
    await pool.close();

    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    expect(memory.heapUsed - heapBefore).toBeLessThan(MAX_HEAP_GROWTH);
    expect(memory.rss).toBeLessThan(MAX_RSS);
    expect(await storeDump()).toBe(before);
  }, 300_000);
});
