import { describe, expect, it } from "vitest";
import type { ProbeConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { ExecProbe } from "./exec.js";
import { GrpcProbe } from "./grpc.js";
import { HttpProbe } from "./http.js";
import { createProbe } from "./index.js";
import { TcpProbe } from "./tcp.js";
import { timing } from "./test-helpers.js";

describe("createProbe", () => {
  it("builds the probe for each known type, keeping its name", () => {
    const http = createProbe({
      ...timing,
      type: "http",
      name: "web",
      path: "/",
      status: [200, 399],
      headers: {},
    });
    expect(http).toBeInstanceOf(HttpProbe);
    expect(http.name).toBe("web");
    expect(createProbe({ ...timing, type: "tcp", name: "t" })).toBeInstanceOf(TcpProbe);
    expect(createProbe({ ...timing, type: "exec", name: "e", command: ["true"], env: {} })).toBeInstanceOf(
      ExecProbe,
    );
    expect(createProbe({ ...timing, type: "grpc", name: "g", service: "" })).toBeInstanceOf(GrpcProbe);
  });

  it("throws UnknownTypeError for an unknown type", () => {
    const config = { ...timing, type: "udp", name: "u" } as unknown as ProbeConfig;
    expect(() => createProbe(config)).toThrow(UnknownTypeError);
    expect(() => createProbe(config)).toThrow(/unknown probe type "udp"; known types: http, tcp, exec, grpc/);
  });
});
