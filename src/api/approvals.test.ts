import { describe, expect, it } from "vitest";
import { currentActor } from "../orchestrator.js";
import { useApiFixture } from "./test-fixture.js";
import { createToken, hashToken } from "./tokens.js";

/** One identity per person through the API: self-approval by spelling, and which token approved. */
const t = useApiFixture();
const V = "/api/v1";

async function aliceRelease() {
  return t.fixture.orchestrator.createRelease({
    environment: "staging",
    services: ["web@2.0.0"],
    actor: "alice",
  });
}

describe("approvals through the API", () => {
  it("refuses a token whose actor is `Alice` approving alice's release (allowSelfApproval: false)", async () => {
    const f = t.fixture;
    const release = await aliceRelease();
    const { token } = await createToken(
      f.store,
      f.clock,
      { name: "alice-approver", role: "approver", actor: "Alice" },
      { actor: "root", origin: "cli" },
    );
    const before = await f.store.listAudit({ limit: 1000 });
    const response = await f.app.inject({
      method: "POST",
      url: `${V}/releases/${release.id}/approve`,
      headers: { authorization: `Bearer ${token}` },
      payload: {},
    });
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json().error.code).toBe("TANDEM_ERR_NOT_ALLOWED");
    expect(response.json().error.message).toMatch(/alice started this release and cannot approve it/);
    expect(await f.store.listAudit({ limit: 1000 })).toEqual(before);
    expect(await f.store.pendingCommands(release.id)).toEqual([]);
  });

  it("refuses it too for a token stored with an unnormalised actor (` ALICE `, from an older store)", async () => {
    const f = t.fixture;
    const release = await aliceRelease();
    const token = "tdm_legacy-alice-token";
    await f.store.putToken(
      {
        id: "legacy-1",
        name: "legacy-alice",
        role: "approver",
        actor: " ALICE ",
        environments: [],
        hash: hashToken(token),
        createdAt: f.clock.now(),
      },
      [],
    );
    const response = await f.app.inject({
      method: "POST",
      url: `${V}/releases/${release.id}/approve`,
      headers: { authorization: `Bearer ${token}` },
      payload: {},
    });
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json().error.code).toBe("TANDEM_ERR_NOT_ALLOWED");
  });

  it("records which token approved: in the command, the approval, its event and the audit trail", async () => {
    const f = t.fixture;
    const release = await aliceRelease();
    const approver = (await f.store.listTokens()).find((x) => x.name === "approver")!;
    const response = await f.app.inject({
      method: "POST",
      url: `${V}/releases/${release.id}/approve`,
      headers: t.auth("approver"),
      payload: { comment: "ok" },
    });
    expect(response.statusCode, response.body).toBe(200);
    const [command] = await f.store.pendingCommands(release.id);
    expect(command).toMatchObject({ actor: "approver", token: { id: approver.id, name: "approver" } });
    const state = await f.orchestrator.engine.reconcileOnce(release.id);
    expect(state.approval!.decisions).toEqual([
      expect.objectContaining({ actor: "approver", token: { id: approver.id, name: "approver" } }),
    ]);
    const granted = (await f.store.listEvents({ releaseId: release.id })).find(
      (e) => e.type === "approval.granted",
    )!;
    expect(granted.data).toMatchObject({ token: { id: approver.id, name: "approver" } });
    const [entry] = await f.store.listAudit({ action: "release.approve", subject: release.id, limit: 5 });
    expect(entry).toMatchObject({ actor: "approver", origin: "api" });
    expect(entry!.data).toMatchObject({ token: "approver", tokenId: approver.id });
  });

  it("audits a token minted for another actor with both names, and finds actors by any spelling", async () => {
    const f = t.fixture;
    const response = await f.app.inject({
      method: "POST",
      url: `${V}/tokens`,
      headers: t.auth("admin"),
      payload: { name: "bobs-token", role: "approver", actor: "Bob" },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().record.actor).toBe("bob");
    const audit = await f.app.inject({
      url: `${V}/audit?action=token.created&actor=ADMIN`,
      headers: t.auth("admin"),
    });
    const entry = (audit.json() as Array<{ subject: string; actor: string; data: unknown }>).find(
      (e) => e.subject === "bobs-token",
    );
    expect(entry, audit.body).toBeDefined();
    expect(entry!.actor).toBe("admin");
    expect(entry!.data).toMatchObject({
      actor: "bob",
      createdBy: "admin",
      onBehalfOf: true,
      byToken: "admin",
    });
  });

  it("TANDEM_USER is normalised like every other actor", () => {
    expect(currentActor({ TANDEM_USER: " Alice " })).toBe("alice");
    expect(currentActor({ TANDEM_USER: "ＢＯＢ" })).toBe("bob");
  });
});
