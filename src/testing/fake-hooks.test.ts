import { afterEach, describe, expect, it } from "vitest";
import { clearSecrets, registerSecret } from "../config/redact.js";
import { ManualClock } from "../core/clock.js";
import type { HookSpec } from "../core/types.js";
import type { HookStart } from "../hooks/types.js";
import { FakeHookRunner } from "./fake-hooks.js";

const signal = new AbortController().signal;

function run(name: string, key = `r-1-api-${name}`, timeout = 60_000): HookStart {
  const spec: HookSpec = { name, command: [name], shell: false, timeout, env: {} };
  return { spec, key, vars: { version: "2.0.0" }, env: { TANDEM_RELEASE: "r-1" } };
}

afterEach(() => clearSecrets());

describe("FakeHookRunner", () => {
  it("runs for the configured virtual time, then exits with the configured outcome", async () => {
    const clock = new ManualClock();
    const hooks = new FakeHookRunner(clock).outcome("migrate", { exitCode: 3, output: "boom", after: 1_000 });
    const handle = await hooks.start(run("migrate"), signal);
    expect(await hooks.poll(handle)).toEqual({ state: "running" });
    await clock.advance(999);
    expect(await hooks.poll(handle)).toEqual({ state: "running" });
    await clock.advance(1);
    expect(await hooks.poll(handle)).toEqual({
      state: "exited",
      exitCode: 3,
      signal: null,
      timedOut: false,
      output: "boom",
    });
  });

  it("succeeds at once by default and records each run once, with its vars and env", async () => {
    const hooks = new FakeHookRunner(new ManualClock());
    const first = await hooks.start(run("smoke"), signal);
    expect(await hooks.start(run("smoke"), signal)).toEqual(first);
    expect(await hooks.poll(first)).toMatchObject({ state: "exited", exitCode: 0 });
    expect(hooks.startsOf("smoke")).toHaveLength(1);
    expect(hooks.starts[0]).toMatchObject({ vars: { version: "2.0.0" }, env: { TANDEM_RELEASE: "r-1" } });
  });

  it("times out at the spec's timeout when the outcome comes later", async () => {
    const clock = new ManualClock();
    const hooks = new FakeHookRunner(clock).outcome("slow", { exitCode: 0, after: 10_000 });
    const handle = await hooks.start(run("slow", "k", 5_000), signal);
    await clock.advance(5_000);
    expect(await hooks.poll(handle)).toMatchObject({ state: "exited", exitCode: null, timedOut: true });
  });

  it("records cancels; a cancelled run exits by SIGTERM, a finished one keeps its result", async () => {
    const clock = new ManualClock();
    const hooks = new FakeHookRunner(clock).outcome("long", { exitCode: 0, after: 60_000 });
    const long = await hooks.start(run("long"), signal);
    const quick = await hooks.start(run("quick"), signal);
    await hooks.cancel(long);
    await hooks.cancel(quick);
    expect(hooks.cancels).toEqual([long.id, quick.id]);
    expect(await hooks.poll(long)).toMatchObject({ state: "exited", exitCode: null, signal: "SIGTERM" });
    expect(await hooks.poll(quick)).toMatchObject({ state: "exited", exitCode: 0 });
  });

  it("can lose a run, fail to start, and redacts secrets from output", async () => {
    registerSecret("hunter2-token");
    const hooks = new FakeHookRunner(new ManualClock())
      .outcome("gone", { exitCode: 0, lost: true, output: "token hunter2-token" })
      .outcome("broken", { exitCode: 0, startError: new Error("cannot start") });
    const gone = await hooks.start(run("gone"), signal);
    expect(await hooks.poll(gone)).toEqual({ state: "lost", output: "token ***" });
    await expect(hooks.start(run("broken"), signal)).rejects.toThrow("cannot start");
    expect(hooks.startsOf("broken")).toEqual([]);
  });
});
