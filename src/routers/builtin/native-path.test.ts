import { Agent } from "node:http";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { dataPlaneStatus } from "./native-path.js";
import { RouterProxy } from "./proxy.js";
import {
  backendOf,
  rawExchange,
  send,
  startUpstream,
  statusLines,
  type TestUpstream,
} from "./test-upstream.js";

// The native data plane (native/router/) through the real proxy: that it is the one serving, hand-backs to
// JS mid-connection, the same statistics as the JS path, route swaps, retries, hostile input, and clients
// that go away. The JS path's own tests run again with the native path off in fast-path-js.test.ts.

const native = dataPlaneStatus().path === "native";

let proxies: RouterProxy[] = [];
let upstreams: TestUpstream[] = [];
let sockets: Socket[] = [];
let agents: Agent[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
  for (const agent of agents) agent.destroy();
  agents = [];
  await Promise.all(proxies.map((p) => p.close(1_000)));
  proxies = [];
  await Promise.all(upstreams.map((u) => u.kill()));
  upstreams = [];
});

async function startProxy(nativeOn = true): Promise<{ proxy: RouterProxy; port: number }> {
  const proxy = new RouterProxy({ holdTimeoutMs: 2_000, holdMaxRequests: 100, native: nativeOn });
  proxies.push(proxy);
  const { port } = await proxy.listen(0, "127.0.0.1");
  return { proxy, port };
}

async function upstream(version: string): Promise<TestUpstream> {
  const started = await startUpstream(version);
  upstreams.push(started);
  return started;
}

function keepAlive(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}

const exchange = (port: number, chunks: (string | Buffer)[], deadlineMs?: number) =>
  rawExchange(port, chunks, sockets, deadlineMs);

async function until(condition: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.runIf(native)("native data plane", () => {
  it("serves plain keep-alive requests itself, with the same rewritten heads as the JS path", async () => {
    const v1 = await upstream("v1");
    const heads: Record<string, string>[] = [];
    for (const nativeOn of [true, false]) {
      const { proxy, port } = await startProxy(nativeOn);
      expect(proxy.dataPlane).toBe(nativeOn ? "native" : "js");
      proxy.setRoutes({ backends: [backendOf("v1", 100, [v1])] });
      const agent = keepAlive();
      const headers = {
        "x-forwarded-for": "10.0.0.1",
        "x-forwarded-proto": "https",
        connection: "keep-alive, x-drop",
        "x-drop": "gone",
        te: "trailers",
      };
      const response = await send(port, "/headers", { agent, headers });
      expect(response.status).toBe(200);
      const seen = JSON.parse(response.body) as Record<string, string>;
      // The proxies listen on different ports, which the test client puts in Host.
      delete seen.host;
      delete seen["x-forwarded-host"];
      heads.push(seen);
      expect((await send(port, "/", { agent })).body).toBe("v1");
      if (nativeOn) expect(proxy.nativeConnections()).toEqual({ open: 1, handedBack: 0 });
    }
    expect(heads[0]).toEqual(heads[1]);
    expect(heads[0]!["x-forwarded-for"]).toBe("10.0.0.1, 127.0.0.1");
    expect(heads[0]!["x-drop"]).toBeUndefined();
  });

  it("hands a keep-alive connection back to JS when its 2nd request is chunked, or an Upgrade", async () => {
    const v1 = await upstream("v1");
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [v1])] });
    const chunked = await exchange(port, [
      "GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
        "GET /status/202 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]);
    expect(statusLines(chunked)).toEqual(["HTTP/1.1 201", "HTTP/1.1 200", "HTTP/1.1 202"]);
    expect(chunked).toContain("hello");
    // An Upgrade, which the upstream (node:http without an upgrade listener) answers as a plain request.
    const upgrade = await exchange(port, [
      "GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n",
    ]);
    expect(statusLines(upgrade)).toEqual(["HTTP/1.1 204", "HTTP/1.1 200"]);
    expect(proxy.nativeConnections()!.handedBack).toBe(2);
    expect(proxy.stats().v1!.requests).toBeGreaterThanOrEqual(4);
  });

  it("counts the same statistics as the JS path for the same traffic", async () => {
    const v1 = await upstream("v1");
    const counted = [];
    for (const nativeOn of [true, false]) {
      const { proxy, port } = await startProxy(nativeOn);
      proxy.setRoutes({ backends: [backendOf("v1", 100, [v1])] });
      const agent = keepAlive();
      for (let i = 0; i < 20; i++) await send(port, i % 4 === 0 ? "/status/503" : "/", { agent });
      await send(port, "/echo", { agent, method: "POST", body: "x".repeat(100) });
      const stats = proxy.stats().v1!;
      counted.push({
        requests: stats.requests,
        errors: stats.errors,
        inFlight: stats.inFlight,
        observed: stats.latency.counts.reduce((a, b) => a + b, 0),
        bounds: stats.latency.boundsMs,
      });
    }
    expect(counted[0]).toEqual(counted[1]);
    expect(counted[0]).toMatchObject({ requests: 21, errors: 5, inFlight: 0, observed: 21 });
  });

  it("sends no request to a weight-0 version across route swaps under load", async () => {
    const a = await upstream("a");
    const b = await upstream("b");
    const { proxy, port } = await startProxy();
    const wrong: string[] = [];
    for (let round = 0; round < 10; round++) {
      const [heavy, light] = round % 2 === 0 ? [a, b] : [b, a];
      proxy.setRoutes({
        backends: [backendOf(heavy.version, 100, [heavy]), backendOf(light.version, 0, [light])],
      });
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      agents.push(agent);
      const bodies = await Promise.all(Array.from({ length: 40 }, () => send(port, "/", { agent })));
      for (const response of bodies)
        if (response.body !== heavy.version) wrong.push(`${round}:${response.body}`);
    }
    expect(wrong).toEqual([]);
  });

  it("leaves a table with a host name (not an IP address) to the JS fast path", async () => {
    const v1 = await upstream("v1");
    const { proxy, port } = await startProxy();
    proxy.setRoutes({
      backends: [
        { version: "v1", weight: 100, endpoints: [{ id: v1.id, host: "localhost", port: v1.port }] },
      ],
    });
    const agent = keepAlive();
    expect((await send(port, "/", { agent })).body).toBe("v1");
    expect((await send(port, "/", { agent })).body).toBe("v1");
    expect(proxy.nativeConnections()!.handedBack).toBe(1);
    expect(proxy.stats().v1).toMatchObject({ requests: 2, errors: 0 });
  });

  it("opens at most maxSocketsPerEndpoint upstream connections, queueing the rest", async () => {
    const v1 = await upstream("v1");
    let connections = 0;
    v1.server.on("connection", () => connections++);
    const proxy = new RouterProxy({ holdTimeoutMs: 2_000, holdMaxRequests: 10, maxSocketsPerEndpoint: 2 });
    proxies.push(proxy);
    const { port } = await proxy.listen(0, "127.0.0.1");
    proxy.setRoutes({ backends: [backendOf("v1", 100, [v1])] });
    const pending = Array.from({ length: 10 }, () => send(port, "/slow/50"));
    await until(() => proxy.inFlight(v1.id) === 10, "all ten requests to be in flight");
    const bodies = await Promise.all(pending);
    expect(bodies.map((r) => r.body)).toEqual(Array(10).fill("v1"));
    expect(connections).toBe(2);
    expect(proxy.inFlight(v1.id)).toBe(0);
  });

  it("retries a refused connect on another endpoint", async () => {
    const live = await upstream("v1");
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { proxy, port } = await startProxy();
    proxy.setRoutes({
      backends: [
        {
          version: "v1",
          weight: 100,
          endpoints: [
            { id: "dead", host: "127.0.0.1", port: deadPort },
            { id: live.id, host: "127.0.0.1", port: live.port },
          ],
        },
      ],
    });
    const agent = keepAlive();
    for (let i = 0; i < 10; i++) expect((await send(port, "/", { agent })).body).toBe("v1");
    expect(proxy.stats().v1!.errors).toBe(0);
    expect(proxy.inFlight("dead")).toBe(0);
  });

  it("answers 400/431 to malformed and huge heads, closes, and keeps serving", async () => {
    const v1 = await upstream("v1");
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [v1])] });
    const cases: [string, string][] = [
      ["400", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"],
      ["400", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"],
      ["400", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n"],
      ["400", "GET / HTTP/1.1\r\nHo st: x\r\n\r\n"],
      ["431", `GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(20_000)}\r\n\r\n`],
      ["431", `GET / HTTP/1.1\r\nX: ${"a".repeat(20_000)}`],
    ];
    for (const [status, request] of cases) {
      const response = await exchange(port, [request]);
      expect(statusLines(response)).toEqual([`HTTP/1.1 ${status}`]);
    }
    expect(v1.received).toBe(0);
    expect((await send(port, "/")).body).toBe("v1");
  });

  it("answers a client that sends its request and half-closes, then closes", async () => {
    const v1 = await upstream("v1");
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [v1])] });
    const received = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      sockets.push(socket);
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve(text));
      socket.end("GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    // (Requests pipelined behind the first are dropped once the client has ended, as on the JS fast path.)
    expect(statusLines(received)).toEqual(["HTTP/1.1 201"]);
  });

  it("counts a client that closes mid-response, and releases its endpoint", async () => {
    const v1 = await upstream("v1");
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [v1])] });
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    socket.on("error", () => {});
    socket.write("GET /slow/300 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => proxy.inFlight(v1.id) === 1, "the request to reach the upstream");
    socket.destroy();
    await until(() => proxy.activeRequests() === 0, "the request to end");
    expect(proxy.inFlight(v1.id)).toBe(0);
    expect(proxy.stats().v1).toMatchObject({ requests: 1, errors: 0, inFlight: 0 });
    expect((await send(port, "/")).body).toBe("v1");
  });

  it("stops taking pipelined requests from a client that does not read, and goes on when it does", async () => {
    const body = "x".repeat(32 * 1024);
    let received = 0;
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on("error", () => {});
      let pending = "";
      socket.on("data", (chunk) => {
        pending += chunk.toString("latin1");
        let end = pending.indexOf("\r\n\r\n");
        while (end >= 0) {
          received++;
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          pending = pending.slice(end + 4);
          end = pending.indexOf("\r\n\r\n");
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { proxy, port } = await startProxy();
    const upstreamPort = (server.address() as AddressInfo).port;
    proxy.setRoutes({
      backends: [
        { version: "v1", weight: 100, endpoints: [{ id: "raw", host: "127.0.0.1", port: upstreamPort }] },
      ],
    });
    const total = 2_000;
    const client = connect(port, "127.0.0.1");
    sockets.push(client);
    client.pause();
    client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(total));
    // Until the upstream stops getting requests (bounded: 200 polls of 20 ms).
    let last = -1;
    for (let i = 0; i < 200 && received !== last; i++) {
      last = received;
      await new Promise((r) => setTimeout(r, 20));
    }
    // 2,000 responses of 32 KiB would be 64 MiB queued; the socket buffers hold a few MiB at most.
    expect(received).toBeLessThan(total / 2);
    // Every response has the same head (the Date is as long every second): its length from the first one.
    let bytes = 0;
    let first = "";
    let expected = Number.POSITIVE_INFINITY;
    await new Promise<void>((resolve) => {
      client.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (expected === Number.POSITIVE_INFINITY) {
          first += chunk.toString("latin1", 0, Math.min(chunk.length, 1024));
          const headLength = first.indexOf("\r\n\r\n");
          if (headLength >= 0) expected = total * (headLength + 4 + body.length);
        }
        if (bytes >= expected) resolve();
      });
      client.resume();
    });
    expect(bytes).toBe(expected);
    expect(received).toBe(total);
    server.close();
  }, 30_000);

  it("sends upstream and to the client the same bytes as the JS path, for random heads", async () => {
    let seed = 777;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const requestFields = [
      "Host: a.example",
      "host: b.example:8080",
      "Content-Length: 3",
      "Connection: keep-alive",
      "Connection: x-a, Host",
      "connection: X-B",
      "X-A: 1",
      "x-b:  2 ",
      "X-Forwarded-For: 10.1.1.1",
      "X-Forwarded-For:",
      "x-forwarded-proto: https",
      "X-Forwarded-Host: pub.example",
      "TE: trailers",
      "Proxy-Authorization: basic x",
      "User-Agent: one",
      "User-Agent: two",
      "Keep-Alive: timeout=1",
    ];
    const responseFields = [
      "Content-Type: text/plain",
      "content-type: text/html",
      "Connection: keep-alive",
      "Connection: x-c",
      "X-C: gone?",
      "Keep-Alive: timeout=30",
      "Set-Cookie: a=1",
      "Set-Cookie: b=2",
      "Server: s1",
      "Server: s2",
      "Date: Mon, 01 Jan 2024 00:00:00 GMT",
      "Trailer: x",
      "Proxy-Authenticate: y",
    ];
    const pick = (list: string[], count: number) =>
      Array.from({ length: count }, () => list[random(list.length)]!);
    const cases = Array.from({ length: 150 }, () => {
      const fields = pick(requestFields, random(8));
      const body = fields.some((f) => /^content-length/i.test(f)) ? "abc" : "";
      const request = `${random(2) === 0 ? "GET" : "POST"} /p${random(100)}?q=${random(9)} HTTP/1.1\r\n${fields.map((f) => `${f}\r\n`).join("")}Connection: close\r\n\r\n${body}`;
      const answer = pick(responseFields, random(7));
      const framing = random(3);
      const responseHead = `HTTP/1.1 ${[200, 201, 404, 500][random(4)]} Some Reason\r\n${answer.map((f) => `${f}\r\n`).join("")}Date: Tue, 02 Jan 2024 00:00:00 GMT\r\n`;
      const response =
        framing === 0
          ? `${responseHead}Content-Length: 5\r\n\r\nhello`
          : framing === 1
            ? `${responseHead}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`
            : `${responseHead}Content-Length: 0\r\n\r\n`;
      return { request, response };
    });
    // One raw upstream: answers the case named by the request's sequence number (X-Case), records the bytes.
    const seen = new Map<string, string>();
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on("error", () => {});
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
        const total = end + 4 + (length ? Number(length[1]) : 0);
        if (text.length < total) return;
        const key = /\r\nx-case: (\S+)/i.exec(text)![1]!;
        seen.set(key, text.slice(0, total));
        socket.write(cases[Number(key.split(":")[1])]!.response);
        text = text.slice(total);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const upstreamPort = (server.address() as AddressInfo).port;
    const answers = new Map<string, string>();
    for (const nativeOn of [true, false]) {
      const { proxy, port } = await startProxy(nativeOn);
      proxy.setRoutes({
        backends: [
          { version: "v1", weight: 100, endpoints: [{ id: "raw", host: "127.0.0.1", port: upstreamPort }] },
        ],
      });
      for (const [index, { request }] of cases.entries()) {
        const tagged = request.replace("\r\n", `\r\nX-Case: ${nativeOn}:${index}\r\n`);
        const answer = await exchange(port, [tagged]);
        answers.set(`${nativeOn}:${index}`, answer.replace(/\r\nDate: [^\r]*/g, "\r\nDate: -"));
      }
    }
    server.close();
    const differences: string[] = [];
    for (let index = 0; index < cases.length; index++) {
      const upstreamNative = seen.get(`true:${index}`)?.replace("X-Case: true:", "X-Case: ");
      const upstreamJs = seen.get(`false:${index}`)?.replace("X-Case: false:", "X-Case: ");
      if (upstreamNative !== upstreamJs)
        differences.push(`upstream ${index}:\n${upstreamNative}\n---\n${upstreamJs}`);
      if (answers.get(`true:${index}`) !== answers.get(`false:${index}`))
        differences.push(
          `client ${index}:\n${answers.get(`true:${index}`)}\n---\n${answers.get(`false:${index}`)}`,
        );
    }
    expect(seen.size).toBe(cases.length * 2);
    expect(differences.slice(0, 3)).toEqual([]);
  }, 60_000);

  it("stays up and answers after thousands of random, truncated and oversized heads", async () => {
    const v1 = await upstream("v1");
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [v1])] });
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pieces = [
      "GET ",
      "/ ",
      "HTTP/1.1",
      "HTTP/1.0",
      "\r\n",
      "\n",
      "\r",
      "Host: x",
      "Content-Length: 3",
      "Content-Length: 99999999999999999",
      "Transfer-Encoding: chunked",
      "Connection: close",
      "Connection: x, host",
      "Upgrade: h2c",
      ": ",
      " ",
      "\t",
      "\0",
      "\xff",
      "abc",
    ];
    const head = () => {
      let text = "";
      const count = Math.floor(random() * 24);
      for (let i = 0; i < count; i++) text += pieces[Math.floor(random() * pieces.length)];
      if (random() < 0.05) text += "a".repeat(Math.floor(random() * 40_000));
      if (random() < 0.5) text += "\r\n\r\n";
      return Buffer.from(text, "latin1");
    };
    // Batches of 50 connections at a time, each writing one random head then closing its side.
    for (let batch = 0; batch < 40; batch++) {
      await Promise.all(
        Array.from(
          { length: 50 },
          () =>
            new Promise<void>((resolve) => {
              const socket = connect(port, "127.0.0.1");
              socket.on("error", () => {});
              socket.setTimeout(3_000, () => socket.destroy());
              socket.on("close", () => resolve());
              socket.on("data", () => {});
              socket.end(head());
            }),
        ),
      );
    }
    expect((await send(port, "/")).body).toBe("v1");
    await until(() => proxy.activeRequests() === 0, "every request to end");
  }, 60_000);
});
