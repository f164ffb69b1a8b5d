import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { keepAliveHint, PoolAgent } from "./pool-agent.js";

let server: Server | undefined;
let agent: PoolAgent | undefined;

afterEach(async () => {
  agent?.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  agent = undefined;
});

/** A server that announces `keepAliveHeader` (or nothing) and answers with the remote port it saw. */
async function startServer(keepAliveHeader: string | undefined): Promise<number> {
  server = createServer((req, res) => {
    req.resume();
    const headers: string[] = ["Content-Type", "text/plain"];
    if (keepAliveHeader) headers.push("Keep-Alive", keepAliveHeader);
    res.writeHead(200, headers);
    res.end(String(req.socket.remotePort));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function get(port: number): Promise<{ clientPort: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ clientPort: body, reused: req.reusedSocket }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("PoolAgent", () => {
  it("reuses one socket across sequential requests and gives it the idle timeout", async () => {
    const port = await startServer(undefined);
    agent = new PoolAgent({ keepAlive: true, maxSockets: 4, timeout: 4000 });
    const first = await get(port);
    const second = await get(port);
    const third = await get(port);
    expect(first.reused).toBe(false);
    expect(second.reused && third.reused).toBe(true);
    expect(new Set([first.clientPort, second.clientPort, third.clientPort]).size).toBe(1);
    const free = Object.values(agent.freeSockets).flat();
    expect(free).toHaveLength(1);
    expect(free[0]!.timeout).toBe(4000);
  });

  it("shortens the idle timeout to the upstream's hint less a second, and drops sockets it cannot keep", async () => {
    const port = await startServer("timeout=3");
    agent = new PoolAgent({ keepAlive: true, maxSockets: 4, timeout: 4000 });
    await get(port);
    expect(Object.values(agent.freeSockets).flat()[0]!.timeout).toBe(2000);
    agent.destroy();
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    await startServer("timeout=1");
    agent = new PoolAgent({ keepAlive: true, maxSockets: 4, timeout: 4000 });
    const port2 = (server!.address() as AddressInfo).port;
    const first = await get(port2);
    const second = await get(port2);
    expect(second.reused).toBe(false);
    expect(second.clientPort).not.toBe(first.clientPort);
  });

  it("reads the hint from raw headers in any case", () => {
    expect(keepAliveHint(["Content-Type", "x", "Keep-Alive", "timeout=5, max=100"])).toBe(5);
    expect(keepAliveHint(["keep-alive", "max=100"])).toBeUndefined();
    expect(keepAliveHint(["Content-Type", "x"])).toBeUndefined();
    expect(keepAliveHint(undefined)).toBeUndefined();
  });
});
