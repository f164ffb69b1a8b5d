import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiServer } from "./server.js";
import { type ApiFixture, createSeed, openFixture, type Seed } from "./test-fixture.js";

/** The dashboard's files: served without a token, with their content types and cache headers. */

let seed: Seed;
let f: ApiFixture;
beforeAll(async () => {
  seed = await createSeed();
  f = await openFixture(seed);
}, 60_000);
afterAll(async () => {
  await f?.close();
  if (seed) rmSync(seed.dir, { recursive: true, force: true });
});

describe("the dashboard's static routes", () => {
  it("serves index.html at / as HTML, not cached, with a strict content security policy", async () => {
    const response = await f.app.inject({ url: "/" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.headers["cache-control"]).toBe("no-cache");
    expect(response.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(response.headers["referrer-policy"]).toBe("no-referrer");
    expect(response.body).toContain('src="/assets/app.js"');
  });

  it("serves an asset as JavaScript, cached for good (its name changes with its content)", async () => {
    const response = await f.app.inject({ url: "/assets/app.js" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(response.headers["cache-control"]).toContain("immutable");
    expect(response.body).toContain('document.title = "Tandem"');
  });

  it("sends an ETag and Last-Modified, and answers 304 to a conditional request (@fastify/static)", async () => {
    const first = await f.app.inject({ url: "/assets/app.js" });
    const etag = first.headers.etag;
    expect(etag).toEqual(expect.any(String));
    expect(first.headers["last-modified"]).toEqual(expect.any(String));
    const again = await f.app.inject({ url: "/assets/app.js", headers: { "if-none-match": String(etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
  });

  it("answers 404 for a missing asset and for a path that tries to leave the assets folder", async () => {
    for (const url of [
      "/assets/nope.js",
      "/assets/..%2Findex.html",
      "/assets/../../seed.db",
      "/assets/x/y.js",
    ]) {
      const response = await f.app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code, url).toBe("TANDEM_ERR_NOT_FOUND");
    }
  });

  it("needs no token for the page, while the API still does", async () => {
    expect((await f.app.inject({ url: "/" })).statusCode).toBe(200);
    const api = await f.app.inject({ url: "/api/v1/releases" });
    expect(api.statusCode).toBe(401);
    expect(api.json().error.code).toBe("TANDEM_ERR_UNAUTHENTICATED");
    const withToken = await f.app.inject({
      url: "/api/v1/releases",
      headers: { authorization: `Bearer ${seed.tokens.viewer}` },
    });
    expect(withToken.statusCode).toBe(200);
  });

  it("answers 503 with what to do when the dashboard was not built", async () => {
    const empty = mkdtempSync(join(tmpdir(), "tandem-web-missing-"));
    const app = await createApiServer({ orchestrator: f.orchestrator, webRoot: join(empty, "web") });
    try {
      const response = await app.inject({ url: "/" });
      expect(response.statusCode).toBe(503);
      expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(response.body).toContain("npm run build");
      expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
