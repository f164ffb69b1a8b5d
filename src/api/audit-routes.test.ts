import { describe, expect, it } from "vitest";
import { damageStore } from "../store/damage.fixtures.js";
import { useApiFixture } from "./test-fixture.js";

const api = useApiFixture();

const auth = api.auth;

describe("the audit trail through the API", () => {
  it("records API changes with the token's actor and origin api, lists them filtered, and verifies the chain", async () => {
    const created = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/releases",
      headers: auth("deployer"),
      payload: { services: ["web@2.0.0"], environment: "staging" },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const approved = await api.fixture.app.inject({
      method: "POST",
      url: `/api/v1/releases/${id}/approve`,
      headers: auth("approver"),
      payload: { comment: "ship it" },
    });
    expect(approved.statusCode).toBe(200);
    const token = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/tokens",
      headers: auth("admin"),
      payload: { name: "ci-audit", role: "deployer" },
    });
    expect(token.statusCode).toBe(201);
    const revoked = await api.fixture.app.inject({
      method: "DELETE",
      url: "/api/v1/tokens/ci-audit",
      headers: auth("admin"),
    });
    expect(revoked.statusCode).toBe(200);

    const listed = await api.fixture.app.inject({ url: "/api/v1/audit?origin=api", headers: auth("viewer") });
    expect(listed.statusCode).toBe(200);
    const entries = listed.json() as Array<{
      actor: string;
      origin: string;
      action: string;
      subject: string;
      reason?: string;
    }>;
    expect(entries.map((e) => [e.action, e.actor, e.subject])).toEqual([
      ["release.created", "deployer", id],
      ["release.approve", "approver", id],
      ["token.created", "admin", "ci-audit"],
      ["token.revoked", "admin", "ci-audit"],
    ]);
    expect(entries.every((e) => e.origin === "api")).toBe(true);
    expect(entries[1]?.reason).toBe("ship it");
    // The token itself is in the create response only, never in the trail.
    expect(listed.body).not.toContain(token.json().token);

    const byActor = await api.fixture.app.inject({
      url: "/api/v1/audit?actor=approver",
      headers: auth("viewer"),
    });
    expect((byActor.json() as unknown[]).length).toBe(1);

    const verified = await api.fixture.app.inject({ url: "/api/v1/audit/verify", headers: auth("viewer") });
    expect(verified.json()).toMatchObject({ ok: true });
    expect(verified.json().count).toBeGreaterThanOrEqual(entries.length);
  });

  it("answers a bad filter with 400 and says which", async () => {
    const bad = await api.fixture.app.inject({ url: "/api/v1/audit?origin=mail", headers: auth("viewer") });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/origin/);
    const since = await api.fixture.app.inject({
      url: "/api/v1/audit?since=yesterdayish",
      headers: auth("viewer"),
    });
    expect(since.statusCode).toBe(400);
    expect(since.json().error.message).toMatch(/--since|since/);
  });

  it("does not call a damaged store file ok: verify answers 503 TANDEM_ERR_STORE_CORRUPT", async () => {
    const before = await api.fixture.app.inject({ url: "/api/v1/audit/verify", headers: auth("viewer") });
    expect(before.json()).toMatchObject({ ok: true });
    // The events' pages, which neither the token lookup nor the chain's walk reads: only a look at the
    // file finds this damage.
    damageStore(api.fixture.store.file, { table: "events" });
    const after = await api.fixture.app.inject({ url: "/api/v1/audit/verify", headers: auth("viewer") });
    expect(after.statusCode).toBe(503);
    expect(after.json().error.code).toBe("TANDEM_ERR_STORE_CORRUPT");
    expect(after.json().error.message).toMatch(/damaged/);
  });
});
