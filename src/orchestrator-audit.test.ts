import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditRecorder } from "./audit/recorder.js";
import { verifyStoredAudit } from "./audit/store-verify.js";
import { parseConfigWithRaw } from "./config/index.js";
import { ManualClock } from "./core/clock.js";
import { isTerminal } from "./core/types.js";
import { Orchestrator } from "./orchestrator.js";
import { publishVersion } from "./registry/view.js";
import { SqliteStore } from "./store/sqlite.js";
import { resetSimInstances } from "./targets/sim.js";
import { MemoryRouter } from "./testing/memory-router.js";

const YAML = `
project: shop
environments:
  staging: {}
  production:
    approval: { required: 1, approvers: [bob], allowSelfApproval: false, timeout: 4h }
    services: { api: { router: { listen: 18601 } } }
services:
  api:
    target: { type: sim, replicas: 1, startupTime: 1s }
    router: { type: builtin, listen: 18600 }
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: 10s }] } }
`;

let dir: string;
let clock: ManualClock;
const opened: Array<{ close(): Promise<void> }> = [];

async function orchestrator(user = "alice"): Promise<Orchestrator> {
  const store = new SqliteStore(join(dir, "tandem.db"));
  await store.migrate();
  const router = new MemoryRouter();
  const tandem = new Orchestrator(parseConfigWithRaw(YAML, join(dir, "tandem.yaml")), {
    store,
    clock,
    env: { TANDEM_USER: user },
    plugins: { createRouter: () => router },
  });
  opened.push(tandem, store);
  return tandem;
}

async function drive(tandem: Orchestrator, id: string, until = isTerminal) {
  let state = await tandem.engine.reconcileOnce(id);
  for (let i = 0; i < 120 && !until(state.status); i++) {
    await clock.advance(1_000);
    state = await tandem.engine.reconcileOnce(id);
  }
  return state;
}

beforeEach(() => {
  resetSimInstances();
  dir = mkdtempSync(join(tmpdir(), "tandem-orchestrator-audit-"));
  clock = new ManualClock(Date.parse("2026-12-01T06:00:00Z"));
});

afterEach(async () => {
  for (const handle of opened.splice(0).reverse()) await handle.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Orchestrator audit trail", () => {
  it("records every change with its actor, origin, reason and time, in order, in one unbroken chain", async () => {
    const tandem = await orchestrator("alice");
    const first = await tandem.createRelease({ services: ["api@1.0.0"], origin: "cli" });
    expect((await drive(tandem, first.id)).status).toBe("succeeded");

    const second = await tandem.createRelease({ environment: "production", services: ["api@1.0.0"] });
    await tandem.approve(second.id, { actor: "bob", origin: "api", comment: "ship it" });
    const paused = await drive(tandem, second.id, (status) => status === "running");
    expect(paused.status).toBe("running");
    const abortedAt = clock.now();
    await tandem.abort(second.id, { actor: "carol", origin: "api", reason: "error budget" });
    expect((await drive(tandem, second.id)).status).toBe("aborted");

    await publishVersion(tandem.store, tandem.config, {
      service: "api",
      version: "2.0.0",
      metadata: { provides: {}, requires: {} },
      actor: "ci",
      now: clock.now(),
      origin: "cli",
    });
    await new AuditRecorder(tandem.store, clock).record({
      actor: "admin",
      origin: "api",
      action: "token.created",
      subject: "deploy-bot",
      data: { role: "deployer" },
    });

    const entries = await tandem.store.listAudit();
    expect(entries.map((e) => [e.action, e.actor, e.origin, e.subject, e.reason])).toEqual([
      ["release.created", "alice", "cli", first.id, undefined],
      ["registry.stable_changed", "tandem-engine", "engine", "staging/api", undefined],
      ["release.succeeded", "tandem-engine", "engine", first.id, undefined],
      ["release.created", "alice", "library", second.id, undefined],
      ["release.approve", "bob", "api", second.id, "ship it"],
      ["release.abort", "carol", "api", second.id, "error budget"],
      ["release.aborted", "tandem-engine", "engine", second.id, expect.any(String)],
      ["registry.version_published", "ci", "cli", "api@2.0.0", undefined],
      ["token.created", "admin", "api", "deploy-bot", undefined],
    ]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(entries[0]!.data).toMatchObject({
      kind: "deploy",
      environment: "staging",
      services: ["api@1.0.0"],
    });
    expect(entries[1]!.data).toMatchObject({ version: "1.0.0", release: first.id });
    expect(entries[5]!.at).toBe(abortedAt);
    expect(entries.every((e, i) => i === 0 || e.at >= entries[i - 1]!.at)).toBe(true);
    expect(await verifyStoredAudit(tandem.store)).toMatchObject({ ok: true, count: 9 });
  });

  it("records a rollback release and a promotion with their kind and reason", async () => {
    const tandem = await orchestrator("alice");
    const succeeded: string[] = [];
    for (const version of ["1.0.0", "1.1.0"]) {
      const created = await tandem.createRelease({ services: [`api@${version}`] });
      expect((await drive(tandem, created.id)).status).toBe("succeeded");
      succeeded.push(created.id);
    }
    const result = await tandem.rollback("api", { reason: "1.1.0 leaks memory", origin: "cli" });
    expect(result.kind).toBe("release");
    const promoted = await tandem.promote(succeeded[1]!, { to: "production", actor: "dave", origin: "api" });
    const created = (await tandem.store.listAudit({ action: "release.created" })).slice(-2);
    expect(created.map((e) => [e.actor, e.origin, e.reason, e.data?.kind])).toEqual([
      ["alice", "cli", "1.1.0 leaks memory", "rollback"],
      ["dave", "api", undefined, "promote"],
    ]);
    expect(created[1]!.subject).toBe(promoted.id);
  });

  it("a dry run (plan) and a refused command leave no entry", async () => {
    const tandem = await orchestrator();
    await tandem.plan({ services: ["api@1.0.0"] });
    await expect(tandem.abort("no-such-release", { reason: "x" })).rejects.toThrow();
    expect(await tandem.store.listAudit()).toEqual([]);
  });

  it("two Orchestrators writing to one SQLite file keep one unbroken chain", async () => {
    const one = await orchestrator("alice");
    const two = await orchestrator("bob");
    const release = await one.createRelease({ services: ["api@1.0.0"] });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? one : two).resume(release.id, { reason: `r${i}`, origin: i % 2 ? "cli" : "api" }),
      ),
    );
    const verdict = await verifyStoredAudit(two.store);
    expect(verdict).toMatchObject({ ok: true, count: 41 });
    expect(new Set((await one.store.listAudit()).map((e) => e.reason)).size).toBe(41);
  });
});
