import { describe, expect, it } from "vitest";
import { LIMITS } from "../core/limits.js";
import { NEXT_CURSOR_HEADER } from "./paging.js";
import { useApiFixture } from "./test-fixture.js";

const api = useApiFixture();

/** A GET as the viewer: status, error code and message, and how long the answer took. */
async function get(url: string) {
  const started = Date.now();
  const response = await api.fixture.app.inject({ url, headers: api.auth("viewer") });
  const body = response.json() as { error?: { code: string; message: string } };
  return { response, status: response.statusCode, error: body.error, ms: Date.now() - started };
}

describe("every request does bounded work (issue 12, finding 1)", () => {
  it("refuses the report of 1970 to 9999 at once with TANDEM_ERR_LIMIT naming the limit (it used to exhaust the heap)", async () => {
    const { status, error, ms } = await get("/api/v1/report?since=1970-01-01&until=9999-12-31");
    expect(status).toBe(400);
    expect(error?.code).toBe("TANDEM_ERR_LIMIT");
    expect(error?.message).toContain("outside the limit");
    expect(ms).toBeLessThan(2_000);
  });

  it("refuses a report span over the maximum, and a valid span still answers", async () => {
    const tooLong = await get("/api/v1/report?since=2023-01-01&until=2026-01-01");
    expect(tooLong.status).toBe(400);
    expect(tooLong.error?.code).toBe("TANDEM_ERR_LIMIT");
    expect(tooLong.error?.message).toContain(`over the limit of ${LIMITS.maxRangeMs / 86_400_000} days`);
    const fine = await get("/api/v1/report?since=2024-06-01&until=2026-01-01");
    expect(fine.status, fine.response.body).toBe(200);
  });

  it("refuses a hostile audit since and an audit page over the cap", async () => {
    const since = await get("/api/v1/audit?since=1970-01-01");
    expect(since.status).toBe(400);
    expect(since.error?.code).toBe("TANDEM_ERR_LIMIT");
    const big = await get(`/api/v1/audit?limit=${LIMITS.maxAuditPage + 1}`);
    expect(big.status).toBe(400);
    expect(big.error?.message).toContain(`limit of ${LIMITS.maxAuditPage}`);
  });

  it.each([
    `/api/v1/releases?limit=${LIMITS.maxPage + 1}`,
    `/api/v1/registry/history?limit=9999`,
    `/api/v1/versions?limit=${LIMITS.maxPage + 1}`,
    `/api/v1/notifications?limit=${LIMITS.maxPage + 1}`,
    `/api/v1/releases?limit=0`,
  ])("refuses %s with a 400 naming the limit", async (url) => {
    const { status, error } = await get(url);
    expect(status).toBe(400);
    expect(error?.message).toMatch(/limit/);
  });

  it("pages releases with limit and the next-page cursor, newest first, to the end", async () => {
    const all = (await get("/api/v1/releases")).response.json() as Array<{ id: string }>;
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seen: string[] = [];
    let url: string | undefined = "/api/v1/releases?limit=1";
    for (let page = 0; url && page < 20; page++) {
      const { response } = await get(url);
      expect(response.statusCode).toBe(200);
      seen.push(...(response.json() as Array<{ id: string }>).map((r) => r.id));
      const next = response.headers[NEXT_CURSOR_HEADER];
      url = typeof next === "string" ? `/api/v1/releases?limit=1&before=${next}` : undefined;
    }
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it("pages the audit trail backwards with before=", async () => {
    const all = (await get("/api/v1/audit")).response.json() as Array<{ seq: number }>;
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = await get("/api/v1/audit?limit=2");
    const cursor = first.response.headers[NEXT_CURSOR_HEADER];
    expect(cursor).toBe(String(all.at(-2)?.seq));
    const older = (await get(`/api/v1/audit?limit=2&before=${cursor}`)).response.json() as Array<{
      seq: number;
    }>;
    expect(older.map((e) => e.seq)).toEqual(all.slice(-4, -2).map((e) => e.seq));
  });

  it("pages a release's events with limit and after=", async () => {
    const all = (await get(`/api/v1/releases/${api.seed.s1}/events`)).response.json() as Array<{
      seq: number;
    }>;
    expect(all.length).toBeGreaterThan(2);
    const first = await get(`/api/v1/releases/${api.seed.s1}/events?limit=2`);
    const cursor = first.response.headers[NEXT_CURSOR_HEADER];
    expect(cursor).toBe(String(all[1]?.seq));
    const next = (
      await get(`/api/v1/releases/${api.seed.s1}/events?limit=2&after=${cursor}`)
    ).response.json();
    expect((next as Array<{ seq: number }>).map((e) => e.seq)).toEqual(all.slice(2, 4).map((e) => e.seq));
  });

  it("rate-limits simulations per token (429 with Retry-After, the limit named), by the injected clock", async () => {
    const simulate = (token: string) =>
      api.fixture.app.inject({
        method: "POST",
        url: "/api/v1/simulate",
        headers: api.auth(token),
        payload: { service: "web", horizon: "1m", rate: "10" },
      });
    for (let i = 0; i < LIMITS.simulationsPerTokenPerMinute; i++) {
      const ok = await simulate("viewer");
      expect(ok.statusCode, ok.body).toBe(200);
    }
    const refused = await simulate("viewer");
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe("TANDEM_ERR_BUSY");
    expect(refused.json().error.message).toContain(
      `${LIMITS.simulationsPerTokenPerMinute} per token per 60s`,
    );
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect((await simulate("admin")).statusCode).toBe(200);
    await api.fixture.clock.advance(60_001);
    expect((await simulate("viewer")).statusCode).toBe(200);
  });
});
