import { describe, expect, it } from "vitest";
import { useApiFixture } from "./test-fixture.js";

const api = useApiFixture();

const auth = api.auth;

describe("operations through the API", () => {
  it("simulates a service's policy in virtual time, and refuses a horizon beyond 24h", async () => {
    const simulated = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/simulate",
      headers: auth("viewer"),
      payload: { service: "api", seed: "3", horizon: "1h" },
    });
    expect(simulated.statusCode, simulated.body).toBe(200);
    const body = simulated.json() as { decision: string; seed: number; events: Array<{ message: string }> };
    // api's canary has no analysis: the same traffic as stable is promoted after its 10s pause.
    expect(body.decision).toBe("succeeded");
    expect(body.seed).toBe(3);
    expect(body.events.some((e) => /50%/.test(e.message))).toBe(true);

    const tooLong = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/simulate",
      headers: auth("viewer"),
      payload: { service: "api", horizon: "48h" },
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.message).toMatch(/at most 24h/);
    const badRate = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/simulate",
      headers: auth("viewer"),
      payload: { service: "api", errorRate: "150%" },
    });
    expect(badRate.statusCode).toBe(400);
    expect(badRate.json().error.message).toMatch(/errorRate|error-rate/);
  });

  it("stops an environment with POST /down as admin, audited; a deployer may not", async () => {
    const refused = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/down",
      headers: auth("deployer"),
      payload: { environment: "staging", force: true },
    });
    expect(refused.statusCode).toBe(403);
    const down = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/down",
      headers: auth("admin"),
      payload: { environment: "staging", force: true, reason: "maintenance" },
    });
    expect(down.statusCode, down.body).toBe(200);
    expect(down.json()).toHaveProperty("instances");
    const entries = (await api.fixture.store.listAudit({ action: "project.down" })).map((e) => [
      e.actor,
      e.origin,
      e.subject,
      e.reason,
    ]);
    expect(entries).toEqual([["admin", "api", "staging", "maintenance"]]);
    const unknown = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/down",
      headers: auth("admin"),
      payload: { environment: "moon" },
    });
    expect(unknown.statusCode).toBe(400);
  });

  it("serves the JSON Schema of tandem.yaml", async () => {
    const schema = await api.fixture.app.inject({ url: "/api/v1/schema", headers: auth("viewer") });
    expect(schema.statusCode).toBe(200);
    expect(Object.keys(schema.json().properties ?? schema.json().definitions ?? {})).not.toHaveLength(0);
    expect(schema.body).toContain("services");
  });
});
