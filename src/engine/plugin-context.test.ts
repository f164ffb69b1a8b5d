import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { Logger } from "../core/types.js";
import type { Store } from "../store/types.js";
import { pluginContext } from "./plugin-context.js";

function recordingLog(lines: Array<{ message: string; fields?: Record<string, unknown> }>): Logger {
  const write = (message: string, fields?: Record<string, unknown>) => void lines.push({ message, fields });
  return { debug: write, info: write, warn: write, error: write };
}

describe("pluginContext", () => {
  const project = { project: "shop", stateDir: "/srv/shop/.tandem", baseDir: "/srv/shop" };
  const store = {} as Store;
  const clock = new ManualClock(0);

  it("gives a target the project's directories, the store and clock, and a log naming the release and service", () => {
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const context = pluginContext(
      project,
      { environment: "staging", service: "api", releaseId: "20261207-0100-abcd" },
      { store, clock, log: recordingLog(lines) },
    );
    expect(context).toMatchObject({
      project: "shop",
      environment: "staging",
      service: "api",
      stateDir: "/srv/shop/.tandem",
      baseDir: "/srv/shop",
    });
    expect(context.store).toBe(store);
    expect(context.clock).toBe(clock);
    context.log.warn("port taken", { port: 8080 });
    expect(lines).toEqual([
      {
        message: "port taken",
        fields: { releaseId: "20261207-0100-abcd", environment: "staging", service: "api", port: 8080 },
      },
    ]);
  });

  it("outside a release the log names the environment and service only", () => {
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const context = pluginContext(
      project,
      { environment: "production", service: "web" },
      { store, clock, log: recordingLog(lines) },
    );
    context.log.info("verified");
    expect(lines[0]!.fields).toEqual({ environment: "production", service: "web" });
  });
});
