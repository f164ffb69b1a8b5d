import { afterEach, expect, it } from "vitest";
import type { StrategyConfig } from "../core/config.js";
import type { ReleaseWrite } from "../store/types.js";
import { engineFixture, simService } from "./engine.fixtures.js";

const canary: StrategyConfig = {
  type: "canary",
  steps: [{ setWeight: 25 }, { pause: { duration: 30_000 } }],
  progressDeadline: 60_000,
};

let fixture: Awaited<ReturnType<typeof engineFixture>>;
afterEach(async () => fixture?.cleanup());

it("a pass writes only the rollouts it changed: none while a canary soaks, the one that moved after", async () => {
  fixture = await engineFixture(simService(canary), { more: [simService(canary, { name: "web" })] });
  const engine = fixture.newEngine();
  const first = await fixture.drive(engine, (await fixture.releaseOf({ api: "1.0.0", web: "1.0.0" })).id);
  expect(first.status).toBe("succeeded");
  const { id } = await fixture.releaseOf({ api: "2.0.0", web: "2.0.0" });
  const atSoak = await fixture.drive(engine, id, (r) =>
    r.rollouts.every((o) => o.steps[o.stepIndex]?.type === "pause"),
  );
  expect(atSoak.rollouts.map((o) => o.weight)).toEqual([25, 25]);

  const writes: ReleaseWrite[] = [];
  const write = fixture.store.writeRelease.bind(fixture.store);
  fixture.store.writeRelease = (w) => {
    writes.push(w);
    return write(w);
  };
  await fixture.clock.advance(1_000);
  await engine.reconcileOnce(id);
  expect(writes.map((w) => w.changedRollouts)).toEqual([[]]);

  // The soak ends for both: both rollouts move, both are written; the stored release is the pass's.
  await fixture.clock.advance(30_000);
  const after = await engine.reconcileOnce(id);
  expect(writes[1]?.changedRollouts).toEqual(after.rollouts.map((o) => o.service));
  expect(await fixture.store.getRelease(id)).toEqual(after);
});
