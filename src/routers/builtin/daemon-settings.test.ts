import { describe, expect, it } from "vitest";
import { parseDaemonSettings } from "./daemon-settings.js";

describe("parseDaemonSettings", () => {
  it("reads flags, falls back to the environment and to defaults", () => {
    const settings = parseDaemonSettings(["--port", "8080", "--hold-timeout", "500"], {
      TANDEM_ROUTER_TOKEN: "t",
      TANDEM_ROUTER_HOLD_MAX_REQUESTS: "7",
    });
    expect(settings).toEqual({
      host: "127.0.0.1",
      port: 8080,
      holdTimeoutMs: 500,
      holdMaxRequests: 7,
      name: "router",
      token: "t",
    });
  });

  it("leaves the port out when none is given (a daemon for many services)", () => {
    const settings = parseDaemonSettings(["--name", "shop/prod"], { TANDEM_ROUTER_TOKEN: "t" });
    expect(settings.port).toBeUndefined();
    expect(settings.name).toBe("shop/prod");
  });

  it("requires a token, and whole numbers", () => {
    expect(() => parseDaemonSettings(["--port", "1"], {})).toThrow(/TANDEM_ROUTER_TOKEN is required/);
    expect(() => parseDaemonSettings(["--port", "x"], { TANDEM_ROUTER_TOKEN: "t" })).toThrow(/whole number/);
    expect(() => parseDaemonSettings(["--port"], { TANDEM_ROUTER_TOKEN: "t" })).toThrow(/--flag value pairs/);
  });
});
