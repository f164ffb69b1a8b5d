import { describe, expect, it } from "vitest";
import { DEFAULT_NOTIFY_ON, type NotificationRouting } from "../core/config.js";
import type { TandemEvent } from "../core/types.js";
import { channelsFor, matchesType, outboxRouting, routes } from "./routing.js";

function channel(overrides: Partial<NotificationRouting> = {}): NotificationRouting {
  return {
    name: "ops",
    on: [...DEFAULT_NOTIFY_ON],
    environments: [],
    services: [],
    minSeverity: "info",
    digest: 0,
    timeout: 10_000,
    maxAttempts: 8,
    ...overrides,
  };
}

function event(overrides: Partial<TandemEvent> = {}): TandemEvent {
  return {
    at: 0,
    releaseId: "r1",
    project: "shop",
    environment: "production",
    type: "release.failed",
    severity: "error",
    message: "failed",
    ...overrides,
  };
}

describe("notification routing", () => {
  it("matches exact types, prefixes and *", () => {
    expect(matchesType("rollout.failed", ["rollout.failed"])).toBe(true);
    expect(matchesType("rollout.failed", ["rollout.*"])).toBe(true);
    expect(matchesType("rollout.failed", ["*"])).toBe(true);
    expect(matchesType("rollout.failed", ["release.*", "rollout.succeeded"])).toBe(false);
    // A prefix is a whole segment: `roll.*` is not `rollout.*`.
    expect(matchesType("rollout.failed", ["roll.*"])).toBe(false);
  });

  it("routes the default events, escalations included, and not the others", () => {
    expect(routes(channel(), event({ type: "approval.escalated", severity: "warning" }))).toBe(true);
    expect(routes(channel(), event({ type: "release.created", severity: "info" }))).toBe(true);
    expect(routes(channel(), event({ type: "rollout.weight_changed", severity: "info" }))).toBe(false);
  });

  it("filters by environment", () => {
    const staging = channel({ environments: ["staging"] });
    expect(routes(staging, event({ environment: "staging" }))).toBe(true);
    expect(routes(staging, event({ environment: "production" }))).toBe(false);
  });

  it("filters by service, but release-wide events always pass", () => {
    const api = channel({ on: ["*"], services: ["api"] });
    expect(routes(api, event({ service: "api", type: "rollout.failed" }))).toBe(true);
    expect(routes(api, event({ service: "web", type: "rollout.failed" }))).toBe(false);
    expect(routes(api, event({ service: undefined, type: "release.failed" }))).toBe(true);
  });

  it("filters by minimum severity", () => {
    const warnings = channel({ on: ["*"], minSeverity: "warning" });
    expect(routes(warnings, event({ severity: "info" }))).toBe(false);
    expect(routes(warnings, event({ severity: "warning" }))).toBe(true);
    expect(routes(warnings, event({ severity: "error" }))).toBe(true);
  });

  it("names every channel an event goes to, and gives the store each channel's digest", () => {
    const channels = [
      channel({ name: "all", on: ["*"] }),
      channel({ name: "errors", minSeverity: "error", digest: 60_000 }),
      channel({ name: "staging", environments: ["staging"] }),
    ];
    expect(channelsFor(channels, event())).toEqual(["all", "errors"]);
    const routing = outboxRouting(channels as never);
    expect(routing?.route(event({ severity: "info", type: "release.created" }))).toEqual(["all"]);
    expect(routing?.digest?.("errors")).toBe(60_000);
    expect(routing?.digest?.("all")).toBe(0);
    expect(outboxRouting([])).toBeUndefined();
  });
});
