import { createServer as createHttpServer, type Server } from "node:http";
import { type AddressInfo, connect, createServer, type Socket, type Server as TcpServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RouterProxy } from "./proxy.js";
import {
  backendOf,
  rawExchange,
  send,
  startUpstream,
  statusLines,
  type TestUpstream,
} from "./test-upstream.js";

// The fast path through the real proxy, with raw bytes on both sides: hostile and unusual client input,
// pipelining, the hand-off to node:http, and upstream framings (chunked, until close, malformed).

let proxy: RouterProxy | undefined;
let upstreams: TestUpstream[] = [];
let servers: (Server | TcpServer)[] = [];
let sockets: Socket[] = [];

afterEach(async () => {
  await proxy?.close(1_000);
  proxy = undefined;
  await Promise.all(upstreams.map((u) => u.kill()));
  upstreams = [];
  for (const socket of sockets) socket.destroy();
  sockets = [];
  for (const server of servers) if ("closeAllConnections" in server) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  servers = [];
});

async function startProxy(): Promise<number> {
  proxy = new RouterProxy({ holdTimeoutMs: 2_000, holdMaxRequests: 10 });
  return (await proxy.listen(0, "127.0.0.1")).port;
}

async function withUpstream(): Promise<{ port: number; upstream: TestUpstream }> {
  const port = await startProxy();
  const upstream = await startUpstream("v1");
  upstreams.push(upstream);
  proxy!.setRoutes({ backends: [backendOf("v1", 100, [upstream])] });
  return { port, upstream };
}

/** A raw upstream: `answer` gets each connection's bytes as they come and writes what it likes. */
async function rawUpstream(answer: (socket: Socket, data: string) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("data", (chunk) => answer(socket, chunk.toString("latin1")));
    socket.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function viaRawUpstream(answer: (socket: Socket, data: string) => void): Promise<number> {
  const port = await startProxy();
  const upstreamPort = await rawUpstream(answer);
  proxy!.setRoutes({
    backends: [
      { version: "v1", weight: 100, endpoints: [{ id: "raw", host: "127.0.0.1", port: upstreamPort }] },
    ],
  });
  return port;
}

const exchange = (port: number, chunks: (string | Buffer)[], deadlineMs?: number) =>
  rawExchange(port, chunks, sockets, deadlineMs);

describe("RouterProxy fast path: hostile client input", () => {
  it("answers 431 to a head over 16 KiB, complete or not, and closes", async () => {
    const { port, upstream } = await withUpstream();
    const huge = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(17 * 1024)}\r\n\r\n`;
    expect(await exchange(port, [huge])).toMatch(/^HTTP\/1\.1 431 /);
    // A head that never ends is refused once it passes the limit, without waiting for its end.
    expect(await exchange(port, [`GET / HTTP/1.1\r\nX-Big: ${"a".repeat(17 * 1024)}`])).toMatch(
      /^HTTP\/1\.1 431 /,
    );
    expect(upstream.received).toBe(0);
  });

  it.each([
    [
      "Content-Length and Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    [
      "two different Content-Lengths",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 5\r\n\r\nhello",
    ],
    ["a Content-Length that is not a number", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"],
    ["an obs-fold continuation line", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n"],
    ["a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"],
    ["a bare LF inside a field", "GET / HTTP/1.1\r\nHost: x\nX-Evil: 1\r\n\r\n"],
    ["a NUL in a value", "GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n"],
    ["a bad request line", "GET /\r\nHost: x\r\n\r\n"],
    ["an unknown version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n"],
    ["a space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"],
  ])("answers 400 to %s, and sends nothing upstream", async (_, request) => {
    const { port, upstream } = await withUpstream();
    const response = await exchange(port, [request]);
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(statusLines(response)).toHaveLength(1);
    expect(upstream.received).toBe(0);
  });

  it("does not let a smuggled second request through after a refused one", async () => {
    const { port, upstream } = await withUpstream();
    const smuggled =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "0\r\n\r\nGET /status/500 HTTP/1.1\r\nHost: x\r\n\r\n";
    const response = await exchange(port, [smuggled]);
    expect(statusLines(response)).toEqual(["HTTP/1.1 400"]);
    expect(upstream.received).toBe(0);
  });

  it("keeps serving after hostile connections", async () => {
    const { port } = await withUpstream();
    await exchange(port, ["\0\0\0\r\n\r\n"]);
    await exchange(port, ["GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"]);
    expect((await send(port, "/")).body).toBe("v1");
  });
});

describe("RouterProxy fast path: requests", () => {
  it("answers pipelined requests in order on one connection, bodies split across packets", async () => {
    const { port, upstream } = await withUpstream();
    const response = await exchange(port, [
      "GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Le",
      "ngth: 11\r\n\r\nhello",
      " world",
      "GET /status/202 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]);
    expect(statusLines(response)).toEqual(["HTTP/1.1 201", "HTTP/1.1 200", "HTTP/1.1 202"]);
    expect(response).toContain("hello world");
    expect(upstream.received).toBe(3);
  });

  it("hands a connection to node:http for what it does not take, mid-connection included", async () => {
    const { port } = await withUpstream();
    // A plain request, then a chunked request body (node:http's job) on the same connection.
    const response = await exchange(port, [
      "GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ]);
    expect(statusLines(response)).toEqual(["HTTP/1.1 201", "HTTP/1.1 200"]);
    expect(response).toContain("hello");
    const http10 = await exchange(port, ["GET /status/203 HTTP/1.0\r\n\r\n"]);
    expect(http10).toMatch(/^HTTP\/1\.1 203 /);
    const expect100 = await exchange(port, [
      "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
      "ok",
    ]);
    expect(expect100).toContain("HTTP/1.1 100 Continue");
    expect(expect100).toMatch(/HTTP\/1\.1 200 [\s\S]*\r\n\r\n(2\r\n)?ok/);
  });

  it("counts a request whose client went away as 499, and releases its endpoint", async () => {
    const { port, upstream } = await withUpstream();
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    socket.write("GET /slow/300 HTTP/1.1\r\nHost: x\r\n\r\n");
    const deadline = Date.now() + 5_000;
    while (proxy!.inFlight(upstream.id) === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    socket.destroy();
    while (proxy!.activeRequests() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(proxy!.inFlight(upstream.id)).toBe(0);
    const stats = proxy!.stats().v1!;
    expect(stats.requests).toBe(1);
    expect(stats.errors).toBe(0);
  });
});

describe("RouterProxy fast path: upstream responses", () => {
  it("passes a chunked response through, in pieces, with trailers", async () => {
    const port = await viaRawUpstream((socket, data) => {
      if (!data.includes("\r\n\r\n")) return;
      socket.write(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5;ext=1\r\nhel",
      );
      setTimeout(() => socket.write("lo\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"), 20);
    });
    const response = await send(port, "/");
    expect(response.body).toBe("hello world");
    expect(response.headers["transfer-encoding"]).toBe("chunked");
  });

  it("reads a response without framing until the upstream closes, and closes the client too", async () => {
    const port = await viaRawUpstream((socket) => {
      socket.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it");
    });
    const response = await exchange(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]);
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response).toContain("Connection: close");
    expect(response.endsWith("\r\n\r\nall of it")).toBe(true);
  });

  it("cuts the client off on a malformed chunk size (502), and answers 502 to a malformed head", async () => {
    let mode = "bad-chunk";
    const port = await viaRawUpstream((socket) => {
      if (mode === "bad-chunk")
        socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n");
      else socket.write("HTTP/9 nonsense\r\n\r\n");
    });
    const cut = await exchange(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]);
    // The connection closes without a complete response (the head may or may not have gone out).
    expect(cut).not.toContain("ZZ");
    expect(proxy!.stats().v1!.errors).toBe(1);
    mode = "bad-head";
    const bad = await send(port, "/");
    expect(bad.status).toBe(502);
    expect(bad.body).toMatch(/malformed response head/);
    expect(proxy!.activeRequests()).toBe(0);
  });

  it("drops 1xx responses and keeps the upstream's Date", async () => {
    const port = await viaRawUpstream((socket) => {
      socket.write(
        "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Length: 2\r\n\r\nok",
      );
    });
    const response = await send(port, "/");
    expect(response.status).toBe(200);
    expect(response.body).toBe("ok");
    expect(response.headers.date).toBe("Thu, 01 Jan 2026 00:00:00 GMT");
  });

  it("streams a large response to a slow client without losing bytes", async () => {
    const size = 8 * 1024 * 1024;
    const server = createHttpServer((_, res) => {
      res.writeHead(200, { "content-length": size });
      res.end(Buffer.alloc(size, 0x61));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = await startProxy();
    const upstreamPort = (server.address() as AddressInfo).port;
    proxy!.setRoutes({
      backends: [
        { version: "v1", weight: 100, endpoints: [{ id: "big", host: "127.0.0.1", port: upstreamPort }] },
      ],
    });
    const received = await new Promise<number>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      sockets.push(socket);
      let bytes = 0;
      socket.on("data", (chunk) => {
        bytes += chunk.length;
        socket.pause();
        setTimeout(() => socket.resume(), 1);
      });
      socket.on("close", () => resolve(bytes));
      socket.on("error", reject);
      socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    });
    expect(received).toBeGreaterThan(size);
    expect(proxy!.stats().v1!.errors).toBe(0);
  });
});

describe("RouterProxy fast path: heads left to headers.ts", () => {
  it("names the endpoint in Host for an HTTP/1.1 request without one, body and all, and drops fields Connection names", async () => {
    let received = "";
    let upstreamPort = 0;
    const port = await startProxy();
    upstreamPort = await rawUpstream((socket, data) => {
      received += data;
      if (!received.includes("\r\n\r\n")) return;
      if (received.startsWith("POST") && !received.endsWith("abc")) return;
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: x-hop\r\nX-Hop: 1\r\n\r\nok");
    });
    proxy!.setRoutes({
      backends: [
        { version: "v1", weight: 100, endpoints: [{ id: "raw", host: "127.0.0.1", port: upstreamPort }] },
      ],
    });
    const answer = await exchange(port, [
      "POST /p HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\n\r\nok$/);
    expect(answer).not.toMatch(/X-Hop/i);
    expect(received).toMatch(new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${upstreamPort}\r\n\r\nabc$`));
    received = "";
    const second = await exchange(port, [
      "GET / HTTP/1.1\r\nHost: h\r\nX-Secret: s\r\nConnection: close, x-secret\r\n\r\n",
    ]);
    expect(second).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: h\r\n/);
    expect(received).not.toMatch(/x-secret: s/i);
  });
});
