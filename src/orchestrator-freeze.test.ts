import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "./core/clock.js";
import { isTerminal } from "./core/types.js";
import { Orchestrator } from "./orchestrator.js";
import { resetSimInstances } from "./targets/sim.js";

// The manual clock starts at 2026-01-01T00:00Z; the freeze begins an hour later.
const YAML = `
project: shop
environments:
  staging:
    freeze:
      - { name: year-start, reason: "inventory count", from: "2026-01-01T01:00:00Z", to: "2026-01-02T00:00:00Z" }
  production:
    after: staging
services:
  api:
    target: { type: sim }
`;

let dir: string;
let clock: ManualClock;
let tandem: Orchestrator;

beforeEach(() => {
  resetSimInstances();
  dir = mkdtempSync(join(tmpdir(), "tandem-freeze-"));
  writeFileSync(join(dir, "tandem.yaml"), YAML);
  clock = new ManualClock();
  tandem = new Orchestrator(join(dir, "tandem.yaml"), { clock, env: { TANDEM_USER: "alice" } });
});

afterEach(async () => {
  await tandem.close();
  rmSync(dir, { recursive: true, force: true });
});

async function drive(id: string) {
  let state = await tandem.engine.reconcileOnce(id);
  for (let i = 0; i < 60 && !isTerminal(state.status); i++) {
    await clock.advance(1_000);
    state = await tandem.engine.reconcileOnce(id);
  }
  return state;
}

describe("change freeze", () => {
  it("refuses a release but not a rollback; plan shows the freeze instead of refusing", async () => {
    for (const version of ["1.0.0", "1.1.0"]) {
      const { id } = await tandem.createRelease({ environment: "staging", services: [`api@${version}`] });
      expect((await drive(id)).status).toBe("succeeded");
    }
    await clock.advance(3_600_000);

    await expect(tandem.createRelease({ environment: "staging", services: ["api@1.2.0"] })).rejects.toThrow(
      /^staging is in a change freeze: "year-start": inventory count; until/,
    );
    expect((await tandem.history()).length).toBe(2);

    const plan = await tandem.plan({ environment: "staging", services: ["api@1.2.0"] });
    expect(plan.freeze).toMatch(/^"year-start": inventory count/);
    expect(plan.services.map((s) => s.service)).toEqual(["api"]);

    const rollback = await tandem.rollback("api", { environment: "staging" });
    expect(rollback.kind).toBe("release");
    if (rollback.kind !== "release") return;
    expect(rollback.release.rollouts[0]).toMatchObject({ version: "1.0.0", stableVersion: "1.1.0" });
    expect((await drive(rollback.release.id)).status).toBe("succeeded");
    expect((await tandem.where("staging"))[0]?.stable?.version).toBe("1.0.0");
  });
});
