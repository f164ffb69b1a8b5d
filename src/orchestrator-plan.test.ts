import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "./core/clock.js";
import { isTerminal } from "./core/types.js";
import { Orchestrator } from "./orchestrator.js";
import { resetSimInstances } from "./targets/sim.js";
import { MemoryRouter } from "./testing/memory-router.js";

const YAML = `
project: shop
services:
  api:
    target: { type: sim }
    router: { type: builtin, listen: 18600 }
    strategy:
      canary: { steps: [{ setWeight: 10 }, { pause: 2m }, { setWeight: 50, name: half }, { pause: 3m }] }
  web:
    target: { type: sim }
    router: { type: builtin, listen: 18601 }
    dependsOn: [{ service: api, step: half }]
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: 1m }] } }
  worker:
    target: { type: sim }
    strategy: { rolling: {} }
`;

let dir: string;
let clock: ManualClock;
let tandem: Orchestrator;

beforeEach(() => {
  resetSimInstances();
  dir = mkdtempSync(join(tmpdir(), "tandem-plan-"));
  writeFileSync(join(dir, "tandem.yaml"), YAML);
  clock = new ManualClock();
  const routers = new Map<string, MemoryRouter>();
  tandem = new Orchestrator(join(dir, "tandem.yaml"), {
    clock,
    env: { TANDEM_USER: "alice" },
    plugins: {
      createRouter: (_config, context) => {
        const router = routers.get(context.service) ?? new MemoryRouter();
        routers.set(context.service, router);
        return router;
      },
    },
  });
});

afterEach(async () => {
  await tandem.close();
  rmSync(dir, { recursive: true, force: true });
});

const RELEASE = { services: ["web@2.0.0", "worker@2.0.0", "api@2.0.0"] };

describe("plan", () => {
  it("times a dependent from its dependency's named step, and from its end on a first release", async () => {
    const first = await tandem.plan({ services: ["web@1.0.0", "worker@1.0.0", "api@1.0.0"] });
    const at = (plan: typeof first, service: string) => plan.services.find((s) => s.service === service)!;
    // A first release has no canary steps: the named step does not exist, web waits for api to finish.
    expect(at(first, "web").startMs).toBe(at(first, "api").endMs);

    const { id } = await tandem.createRelease({ services: ["web@1.0.0", "worker@1.0.0", "api@1.0.0"] });
    let state = await tandem.engine.reconcileOnce(id);
    for (let i = 0; i < 30 && !isTerminal(state.status); i++) {
      await clock.advance(1_000);
      state = await tandem.engine.reconcileOnce(id);
    }
    expect(state.status).toBe("succeeded");

    const plan = await tandem.plan(RELEASE);
    const order = plan.services.map((s) => s.service);
    expect(order.indexOf("api")).toBeLessThan(order.indexOf("web"));
    expect(at(plan, "api")).toMatchObject({ startMs: 0, endMs: 300_000 });
    // web starts once api reached "half" (after its 2m pause), not when api ends.
    expect(at(plan, "web")).toMatchObject({ startMs: 120_000, endMs: 180_000 });
    expect(at(plan, "worker").startMs).toBe(0);
    expect(plan.criticalPath).toEqual(["api"]);
    expect(plan.totalMs).toBe(300_000);
  });
});
