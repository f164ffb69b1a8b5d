/*
 * A release of two services deployed by GitHub Actions workflows (the backend repository, then the
 * frontend one), through the Orchestrator and its engine, against the fake GitHub on loopback.
 *
 * NEEDS THE ENGINE INTEGRATION OF WHOLE-VERSION TARGETS (branch command-target): the health monitor
 * calls Target.check as an extra probe (pending keeps the rollout waiting until its progressDeadline),
 * the engine calls Target.rollback once after a rollback and drains Target.takeActions into
 * `rollout.target_action` events. Without it (on the gha-target branch alone) the engine sees the
 * deployment's endpoint as ready at once, so this test is expected to fail there until the merge.
 * It passed on a trial merge of gha-target with command-target (a7a1ea5), conflicts resolved by keeping
 * both target types.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfigWithRaw } from "../src/config/index.js";
import { clearSecrets } from "../src/config/redact.js";
import type { ReleaseState } from "../src/core/types.js";
import { Orchestrator } from "../src/orchestrator.js";
import { SqliteStore } from "../src/store/sqlite.js";
import { FakeGitHub } from "../src/testing/fake-github.js";

const TOKEN = "ghp_ENGINEtestTOKEN_9f8e7d6c5b4a";
const RUN_MS = 600;

let dir: string;
let fake: FakeGitHub;
let tandem: Orchestrator;
/** Versions whose run concludes failure. */
let failing: Set<string>;

function config(baseUrl: string): string {
  const target = (repo: string, extra = "") =>
    `{ type: github-actions, owner: shop, repo: ${repo}, workflow: deploy.yml, token: "\${env:GITHUB_TOKEN}", ` +
    `baseUrl: "${baseUrl}", pollInterval: 100ms, startTimeout: 10s${extra} }`;
  return `
project: shop
environments: { staging: {} }
services:
  backend:
    target: ${target("backend", ", rollbackWorkflow: rollback.yml")}
    strategy: { recreate: { progressDeadline: 30s } }
  frontend:
    target: ${target("frontend")}
    strategy: { recreate: { progressDeadline: 30s } }
    dependsOn: [backend]
`;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "tandem-gha-"));
  failing = new Set();
  fake = await FakeGitHub.start({
    token: TOKEN,
    repos: {
      "shop/backend": { workflows: [{ file: "deploy.yml" }, { file: "rollback.yml" }] },
      "shop/frontend": { workflows: [{ file: "deploy.yml" }] },
    },
    script: (dispatch) => ({
      queuedFor: 200,
      runFor: RUN_MS,
      conclusion: failing.has(`${dispatch.repo}@${dispatch.inputs.version}`) ? "failure" : "success",
      outputs: { url: `https://${dispatch.repo.split("/")[1]}.staging.example` },
    }),
  });
  const store = new SqliteStore(join(dir, "tandem.db"));
  await store.migrate();
  tandem = new Orchestrator(
    parseConfigWithRaw(config(fake.url), join(dir, "tandem.yaml"), { env: { GITHUB_TOKEN: TOKEN } }),
    {
      store,
      env: { GITHUB_TOKEN: TOKEN, TANDEM_USER: "alice" },
    },
  );
});

afterEach(async () => {
  await tandem.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  clearSecrets();
});

async function release(services: string[]): Promise<ReleaseState> {
  const { id } = await tandem.createRelease({ environment: "staging", services });
  return tandem.run(id, AbortSignal.timeout(50_000));
}

describe("a release deployed by GitHub Actions workflows, backend repository then frontend", () => {
  it("dispatches the backend, waits for its run, then the frontend; a failed frontend run rolls both back", async () => {
    const first = await release(["backend@1.0.0", "frontend@1.0.0"]);
    expect(first.status).toBe("succeeded");
    const [backend, frontend] = fake.dispatches;
    expect([backend!.repo, frontend!.repo]).toEqual(["shop/backend", "shop/frontend"]);
    expect(backend!.inputs).toMatchObject({ version: "1.0.0", environment: "staging" });
    // dependsOn: the frontend was dispatched only after the backend's run completed.
    expect(frontend!.at).toBeGreaterThanOrEqual(backend!.at + RUN_MS);
    const events = await tandem.events(first.id);
    const actions = events.filter((e) => e.type === "rollout.target_action");
    expect(actions.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(actions)).toContain("https://github.com/shop/backend/actions/runs/");
    expect(JSON.stringify(events)).not.toContain(TOKEN);

    failing.add("shop/frontend@2.0.0");
    const second = await release(["backend@1.1.0", "frontend@2.0.0"]);
    expect(second.status).toBe("rolled_back");
    const frontendRollout = second.rollouts.find((r) => r.service === "frontend")!;
    expect(`${frontendRollout.reason} ${frontendRollout.lastError ?? ""}`).toMatch(/concluded failure/);
    // Both went back. Recreate had stopped the stable versions, so the engine started them again: their
    // deploy workflows ran once more with the stable version; then the backend's rollbackWorkflow ran.
    const dispatched = (repo: string, workflow: string) =>
      fake.dispatches.filter((d) => d.repo === repo && d.workflow === workflow).map((d) => d.inputs.version);
    expect(dispatched("shop/backend", "deploy.yml")).toEqual(["1.0.0", "1.1.0", "1.0.0"]);
    expect(dispatched("shop/frontend", "deploy.yml")).toEqual(["1.0.0", "2.0.0", "1.0.0"]);
    expect(dispatched("shop/backend", "rollback.yml")).toEqual(["1.0.0"]);
    expect(JSON.stringify(await tandem.events(second.id))).not.toContain(TOKEN);
  });
});
