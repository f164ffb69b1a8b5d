import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { useApiFixture } from "./test-fixture.js";
import { createToken } from "./tokens.js";

const api = useApiFixture();

const whoami = (token?: string, header?: string) =>
  api.fixture.app.inject({
    url: "/api/v1/whoami",
    headers: header ? { authorization: header } : token ? { authorization: `Bearer ${token}` } : {},
  });

describe("authentication", () => {
  it("answers 401 for a missing, malformed, unknown, expired or revoked token, saying which, never echoing it", async () => {
    const cases: Array<[string, Awaited<ReturnType<typeof whoami>>]> = [];
    cases.push(["no token", await whoami()]);
    cases.push(["not `Bearer TOKEN`", await whoami(undefined, `Basic ${api.seed.tokens.viewer}`)]);
    const unknown = "tdm_thisTokenWasNeverCreatedAnywhere0000000000";
    cases.push(["unknown token", await whoami(unknown)]);

    const { token: shortLived } = await createToken(
      api.fixture.store,
      api.fixture.clock,
      {
        name: "short",
        role: "viewer",
        expires: "1h",
      },
      { actor: "test", origin: "library" },
    );
    expect((await whoami(shortLived)).statusCode).toBe(200);
    await api.fixture.clock.advance(3_600_000);
    cases.push(['token "short" expired', await whoami(shortLived)]);

    expect((await whoami(api.seed.tokens.deployer)).statusCode).toBe(200);
    const revoke = await api.fixture.app.inject({
      method: "DELETE",
      url: "/api/v1/tokens/deployer",
      headers: { authorization: `Bearer ${api.seed.tokens.admin}` },
    });
    expect(revoke.statusCode).toBe(200);
    cases.push(['token "deployer" was revoked', await whoami(api.seed.tokens.deployer)]);

    for (const [message, response] of cases) {
      expect(response.statusCode, message).toBe(401);
      const { error } = response.json();
      expect(error.code).toBe("TANDEM_ERR_UNAUTHENTICATED");
      expect(error.message).toContain(message);
      for (const token of [...Object.values(api.seed.tokens), unknown, shortLived]) {
        expect(response.body).not.toContain(token);
      }
    }
  });

  it("acts as the token's identity: the deployer token creates, a different approver token approves", async () => {
    const auth = api.auth;
    const created = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/releases",
      headers: auth("deployer"),
      payload: { services: ["web@2.0.0"], environment: "staging" },
    });
    expect(created.statusCode).toBe(201);
    const release = created.json();
    expect(release.createdBy).toBe("deployer");
    expect(release.status).toBe("awaiting_approval");
    const approved = await api.fixture.app.inject({
      method: "POST",
      url: `/api/v1/releases/${release.id}/approve`,
      headers: auth("approver"),
      payload: { comment: "looks good" },
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ type: "approve", actor: "approver", reason: "looks good" });
    const commands = await api.fixture.store.pendingCommands(release.id);
    expect(commands.map((c) => c.actor)).toEqual(["approver"]);
  });

  it("never writes a token into a log line or a response other than the create response", async () => {
    const admin = { authorization: `Bearer ${api.seed.tokens.admin}` };
    const created = await api.fixture.app.inject({
      method: "POST",
      url: "/api/v1/tokens",
      headers: admin,
      payload: { name: "ci", role: "deployer", environments: ["staging"], expires: "30d" },
    });
    expect(created.statusCode).toBe(201);
    const { token, record } = created.json();
    expect(token).toMatch(/^tdm_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: "ci", role: "deployer", environments: ["staging"] });
    expect(JSON.stringify(record)).not.toContain(token);
    expect(JSON.stringify(await api.fixture.store.listTokens())).not.toContain(token);

    const bodies: string[] = [];
    const all = [...Object.values(api.seed.tokens), token];
    for (const t of all) {
      for (const url of ["/api/v1/tokens", "/api/v1/whoami", "/api/v1/releases", "/metrics", "/nowhere"]) {
        bodies.push((await api.fixture.app.inject({ url, headers: { authorization: `Bearer ${t}` } })).body);
      }
      bodies.push((await api.fixture.app.inject({ url: `/api/v1/whoami?access_token=${t}` })).body);
    }
    await api.fixture.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = api.fixture.app.server.address() as AddressInfo;
    const controller = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${port}/api/v1/events/stream?access_token=${token}`, {
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    controller.abort();
    const failed = await fetch(`http://127.0.0.1:${port}/api/v1/events/stream?access_token=${token}x`);
    expect(failed.status).toBe(401);
    bodies.push(await failed.text());

    const logged = api.fixture.lines.join("");
    expect(logged).toContain("access_token=[redacted]");
    for (const t of all) {
      expect(logged).not.toContain(t);
      for (const body of bodies) expect(body).not.toContain(t);
    }
  });
});
