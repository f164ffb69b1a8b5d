import { Server, ServerCredentials } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrpcProbe } from "./grpc.js";
import { closedPort, endpointAt, timing } from "./test-helpers.js";

const never = new AbortController().signal;
let server: Server;
let port: number;
const health = new HealthImplementation({ "": "SERVING", "shop.Api": "SERVING", "shop.Web": "NOT_SERVING" });

function probe(service: string): GrpcProbe {
  return new GrpcProbe({ ...timing, type: "grpc", name: "grpc", service, timeout: 2_000 });
}

beforeAll(async () => {
  server = new Server();
  health.addToServer(server);
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    ),
  );
});

afterAll(() => {
  server.forceShutdown();
});

describe("GrpcProbe", () => {
  it("passes when the server answers SERVING", async () => {
    const result = await probe("shop.Api").check(endpointAt(port), never);
    expect(result).toMatchObject({ ok: true });
    expect(result.message).toBe(`gRPC 127.0.0.1:${port} Health/Check("shop.Api") -> SERVING`);
    expect((await probe("").check(endpointAt(port), never)).ok).toBe(true);
  });

  it("fails on NOT_SERVING, naming the status", async () => {
    const result = await probe("shop.Web").check(endpointAt(port), never);
    expect(result.ok).toBe(false);
    expect(result.message).toContain("-> NOT_SERVING");
  });

  it("fails for a service the server does not know", async () => {
    const result = await probe("shop.Nope").check(endpointAt(port), never);
    expect(result.ok).toBe(false);
    expect(result.message).toContain("SERVICE_UNKNOWN");
  });

  it("follows status changes", async () => {
    health.setStatus("shop.Api", "NOT_SERVING");
    expect((await probe("shop.Api").check(endpointAt(port), never)).ok).toBe(false);
    health.setStatus("shop.Api", "SERVING");
    expect((await probe("shop.Api").check(endpointAt(port), never)).ok).toBe(true);
  });

  it("fails as unavailable when nothing listens", async () => {
    const result = await probe("").check(endpointAt(await closedPort()), never);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/-> unavailable: connection refused$/);
  });
});
