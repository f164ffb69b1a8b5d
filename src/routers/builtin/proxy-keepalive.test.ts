import { createServer, type Server } from "node:http";
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RouterProxy } from "./proxy.js";
import { send } from "./test-upstream.js";

// Upstream keep-alive through the real proxy: connection reuse, the upstream's Keep-Alive hint, and which
// resets are retried (any request with a buffered body on a reused connection, only idempotent ones on a
// fresh one).

let proxy: RouterProxy | undefined;
let servers: (Server | TcpServer)[] = [];
let sockets: Socket[] = [];

afterEach(async () => {
  await proxy?.close(1_000);
  proxy = undefined;
  for (const socket of sockets) socket.destroy();
  sockets = [];
  for (const server of servers) if ("closeAllConnections" in server) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  servers = [];
});

async function listen(server: Server | TcpServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** An upstream that announces `keepAliveHeader` (or nothing) and answers with the remote port it saw. */
function portEchoUpstream(keepAliveHeader: string | undefined): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    const headers: string[] = ["Content-Type", "text/plain"];
    if (keepAliveHeader) headers.push("Keep-Alive", keepAliveHeader);
    res.writeHead(200, headers);
    res.end(String(req.socket.remotePort));
  });
  server.keepAliveTimeout = 30_000;
  return listen(server);
}

/**
 * A raw upstream that answers the first `answered` requests of each connection and then drops the
 * connection without answering (as an upstream closing an idle keep-alive connection in the race).
 */
function droppingUpstream(answered: number): Promise<number> {
  const server = createTcpServer((socket) => {
    sockets.push(socket);
    let count = 0;
    socket.on("data", () => {
      if (count++ < answered)
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: keep-alive\r\n\r\ndropper");
      else socket.destroy();
    });
    socket.on("error", () => {});
  });
  return listen(server);
}

async function startProxy(ports: number[]): Promise<number> {
  proxy = new RouterProxy({ holdTimeoutMs: 1_000, holdMaxRequests: 10 });
  const { port } = await proxy.listen(0, "127.0.0.1");
  proxy.setRoutes({
    backends: [
      {
        version: "v1",
        weight: 100,
        endpoints: ports.map((p, i) => ({ id: `v1-${i}`, host: "127.0.0.1", port: p })),
      },
    ],
  });
  return port;
}

describe("RouterProxy upstream keep-alive", () => {
  it("reuses one upstream connection across sequential requests", async () => {
    const port = await startProxy([await portEchoUpstream(undefined)]);
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await send(port, "/")).body);
    expect(new Set(seen).size).toBe(1);
  });

  it("keeps a connection the upstream keeps 3 s, none it keeps only 1 s (hint less a second)", async () => {
    const threeSeconds = await startProxy([await portEchoUpstream("timeout=3")]);
    const kept = [(await send(threeSeconds, "/")).body, (await send(threeSeconds, "/")).body];
    expect(kept[0]).toBe(kept[1]);
    await proxy!.close(1_000);

    const oneSecond = await startProxy([await portEchoUpstream("timeout=1")]);
    const dropped = [(await send(oneSecond, "/")).body, (await send(oneSecond, "/")).body];
    expect(dropped[0]).not.toBe(dropped[1]);
  });

  it("retries a POST reset on a reused connection, on another endpoint", async () => {
    // Round robin: requests 1 and 3 go to the dropping upstream (3 on the connection 1 left open), 2 to the other.
    const port = await startProxy([await droppingUpstream(1), await portEchoUpstream(undefined)]);
    const responses = [];
    for (let i = 0; i < 3; i++) responses.push(await send(port, "/", { method: "POST", body: "payload" }));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(responses[0]!.body).toBe("dropper");
    expect(responses[2]!.body).not.toBe("dropper");
  });

  it("retries a GET reset on a fresh connection, but not a POST (it may have been processed)", async () => {
    const port = await startProxy([await droppingUpstream(0), await portEchoUpstream(undefined)]);
    const get = await send(port, "/");
    expect(get.status).toBe(200);
    expect(get.body).not.toBe("dropper");
    // The GET's retry moved the cursor on: this POST goes to the dropping upstream first.
    const post = await send(port, "/", { method: "POST", body: "payload" });
    expect(post.status).toBe(502);
    expect(post.body).toMatch(/upstream v1-0 failed: (ECONNRESET|EPIPE|UND_ERR_SOCKET)/);
  });
});
