import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { TandemError } from "../core/errors.js";
import { SqliteStore } from "../store/sqlite.js";
import type { TokenRecord, TokenRole } from "../store/types.js";
import { covers } from "./permissions.js";
import { authenticate, createToken, revokeToken } from "./tokens.js";

const power = (role: TokenRole, ...environments: string[]) => ({ role, environments });

describe("covers: a token's power as a ceiling", () => {
  it("orders roles viewer < deployer, approver < admin; deployer and approver are not comparable", () => {
    expect(covers(power("admin"), power("deployer"))).toBe(true);
    expect(covers(power("admin"), power("approver"))).toBe(true);
    expect(covers(power("deployer"), power("viewer"))).toBe(true);
    expect(covers(power("approver"), power("viewer"))).toBe(true);
    expect(covers(power("deployer"), power("approver"))).toBe(false);
    expect(covers(power("approver"), power("deployer"))).toBe(false);
    expect(covers(power("deployer"), power("admin"))).toBe(false);
    expect(covers(power("viewer"), power("deployer"))).toBe(false);
  });

  it("needs the other's environments to be a subset; a limited token never covers an unlimited one", () => {
    expect(covers(power("admin"), power("admin", "staging"))).toBe(true);
    expect(covers(power("admin", "staging"), power("viewer", "staging"))).toBe(true);
    expect(covers(power("admin", "staging", "qa"), power("viewer", "qa", "staging"))).toBe(true);
    expect(covers(power("admin", "staging"), power("viewer"))).toBe(false);
    expect(covers(power("admin", "staging"), power("viewer", "production"))).toBe(false);
    expect(covers(power("admin", "staging"), power("viewer", "staging", "production"))).toBe(false);
  });
});

describe("tokens", () => {
  let dir: string;
  let store: SqliteStore;
  const clock = new ManualClock(1_700_000_000_000);
  const cli = { actor: "root", origin: "cli" as const };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-tokens-"));
    store = new SqliteStore(join(dir, "tandem.db"));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function make(name: string, role: TokenRole, environments: string[] = []): Promise<TokenRecord> {
    const { token } = await createToken(store, clock, { name, role, environments }, cli);
    return authenticate(store, clock, token);
  }
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TandemError);
    return (error as TandemError).code;
  };

  it("an environment-scoped admin cannot mint a token beyond its scope or role, and mints within it", async () => {
    const scoped = await make("stage-admin", "admin", ["staging"]);
    const by = { actor: scoped.actor, origin: "api" as const };
    const tokensBefore = await store.listTokens();
    for (const request of [
      { name: "x1", role: "admin" },
      { name: "x2", role: "viewer" },
      { name: "x3", role: "deployer", environments: ["production"] },
      { name: "x4", role: "deployer", environments: ["staging", "production"] },
    ]) {
      expect(await refusal(createToken(store, clock, request, by, scoped))).toBe("TANDEM_ERR_FORBIDDEN");
    }
    expect(await store.listTokens()).toEqual(tokensBefore);
    const ok = await createToken(
      store,
      clock,
      { name: "stage-ci", role: "deployer", environments: ["staging"] },
      by,
      scoped,
    );
    expect(ok.record.environments).toEqual(["staging"]);
    const deployer = await make("ci", "deployer");
    expect(
      await refusal(
        createToken(store, clock, { name: "x5", role: "approver" }, { actor: "ci", origin: "api" }, deployer),
      ),
    ).toBe("TANDEM_ERR_FORBIDDEN");
  });

  it("a token never revokes a token with more power than its own", async () => {
    const global = await make("admin", "admin");
    const scoped = await make("stage-admin", "admin", ["staging"]);
    const stageViewer = await make("stage-viewer", "viewer", ["staging"]);
    const by = { actor: scoped.actor, origin: "api" as const };
    expect(await refusal(revokeToken(store, clock, "admin", by, scoped))).toBe("TANDEM_ERR_FORBIDDEN");
    expect(await refusal(revokeToken(store, clock, global.id, by, scoped))).toBe("TANDEM_ERR_FORBIDDEN");
    expect((await store.listTokens()).find((t) => t.name === "admin")?.revokedAt).toBeUndefined();
    expect(await revokeToken(store, clock, stageViewer.name, by, scoped)).toBe(true);
    expect(await revokeToken(store, clock, "no-such-token", by, scoped)).toBe(false);
    // The CLI next to the store (no revoker): whoever can write the store file.
    expect(await revokeToken(store, clock, "admin", cli)).toBe(true);
  });

  it("stores the token's actor normalised, and audits who minted a token for whom", async () => {
    const { record } = await createToken(
      store,
      clock,
      { name: "Bobs-CI", role: "deployer", actor: " Bob " },
      { actor: "Alice", origin: "api", token: { id: "t-1", name: "alice-admin" } },
    );
    expect(record.actor).toBe("bob");
    const mine = await createToken(
      store,
      clock,
      { name: "Carol", role: "viewer" },
      { actor: "carol", origin: "cli" },
    );
    expect(mine.record.actor).toBe("carol");
    const entries = await store.listAudit({ action: "token.created", limit: 10 });
    const forBob = entries.find((e) => e.subject === "Bobs-CI")!;
    expect(forBob.actor).toBe("alice");
    expect(forBob.data).toMatchObject({
      actor: "bob",
      createdBy: "alice",
      onBehalfOf: true,
      byToken: "alice-admin",
      byTokenId: "t-1",
    });
    expect(entries.find((e) => e.subject === "Carol")!.data).toMatchObject({
      actor: "carol",
      onBehalfOf: false,
    });
  });
});
