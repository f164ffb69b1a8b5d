import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpProbe } from "./tcp.js";
import { closedPort, endpointAt, timing } from "./test-helpers.js";

let server: Server;
let port: number;
const never = new AbortController().signal;
const probe = new TcpProbe({ ...timing, type: "tcp", name: "socket" });

beforeAll(async () => {
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("TcpProbe", () => {
  it("passes when a connection opens", async () => {
    expect(await probe.check(endpointAt(port), never)).toMatchObject({
      ok: true,
      message: `TCP 127.0.0.1:${port} -> connected`,
    });
  });

  it("fails when the connection is refused", async () => {
    const refusedPort = await closedPort();
    expect(await probe.check(endpointAt(refusedPort), never)).toMatchObject({
      ok: false,
      message: `TCP 127.0.0.1:${refusedPort} -> connection refused`,
    });
  });

  it("probes the configured port instead of the endpoint's", async () => {
    const fixed = new TcpProbe({ ...timing, type: "tcp", name: "socket", port });
    expect((await fixed.check(endpointAt(1), never)).ok).toBe(true);
  });

  it("fails at once when already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await probe.check(endpointAt(port), controller.signal)).message).toContain("aborted");
  });
});
