import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { HookSpec } from "../core/types.js";
import { SIMULATED_HOOK_OUTPUT, SimulatedHookRunner } from "./hook-runner.js";

const spec = { name: "migrate" } as HookSpec;

describe("SimulatedHookRunner", () => {
  it("succeeds at once without running anything, and records the hook", async () => {
    const clock = new ManualClock(5_000);
    const runner = new SimulatedHookRunner(clock);
    const handle = await runner.start(
      { spec, key: "r1-api-0", vars: {}, env: {} },
      new AbortController().signal,
    );
    expect(handle.startedAt).toBe(5_000);
    expect(await runner.poll(handle)).toEqual({
      state: "exited",
      exitCode: 0,
      signal: null,
      timedOut: false,
      output: SIMULATED_HOOK_OUTPUT,
    });
    expect(runner.simulated).toEqual(["migrate"]);
  });

  it("joins a repeated start with the same key, and loses handles it never gave", async () => {
    const runner = new SimulatedHookRunner(new ManualClock());
    const run = { spec, key: "k", vars: {}, env: {} };
    const first = await runner.start(run, new AbortController().signal);
    expect(await runner.start(run, new AbortController().signal)).toEqual(first);
    expect(runner.simulated).toEqual(["migrate"]);
    expect((await runner.poll({ ...first, id: "other" })).state).toBe("lost");
    await runner.cancel();
  });
});
