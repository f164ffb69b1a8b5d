import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RouterProxy } from "./proxy.js";
import { send } from "./test-upstream.js";

// Header handling through the real proxy, on the paths the flat raw-header lists take: repeated response
// fields, response fields named by the upstream's Connection, and a client request without Host.

let proxy: RouterProxy | undefined;
let server: Server | undefined;

afterEach(async () => {
  await proxy?.close(1_000);
  proxy = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** An upstream that answers with repeated Set-Cookie and a Connection-listed field, and echoes what it saw. */
async function startProxyToCookieUpstream(): Promise<{
  port: number;
  upstreamPort: number;
  seen: IncomingHttpHeaders[];
}> {
  const seen: IncomingHttpHeaders[] = [];
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    const body = "ok";
    res.writeHead(200, [
      "Set-Cookie",
      "a=1",
      "Set-Cookie",
      "b=2",
      "Connection",
      "keep-alive, X-Internal",
      "X-Internal",
      "secret",
      "Content-Length",
      String(body.length),
    ]);
    res.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const upstreamPort = (server.address() as AddressInfo).port;
  proxy = new RouterProxy({ holdTimeoutMs: 1_000, holdMaxRequests: 10 });
  const { port } = await proxy.listen(0, "127.0.0.1");
  proxy.setRoutes({
    backends: [
      { version: "v1", weight: 100, endpoints: [{ id: "v1-1", host: "127.0.0.1", port: upstreamPort }] },
    ],
  });
  return { port, upstreamPort, seen };
}

/** Sends `head` as is on a fresh connection and resolves with everything the server wrote until it closed. */
function rawExchange(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(head));
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
  });
}

describe("RouterProxy headers", () => {
  it("forwards repeated response fields and drops those the upstream's Connection names", async () => {
    const { port } = await startProxyToCookieUpstream();
    const response = await send(port, "/");
    expect(response.status).toBe(200);
    expect(response.body).toBe("ok");
    expect(response.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(response.headers["x-internal"]).toBeUndefined();
  });

  it("names the upstream in Host when the client sent none (HTTP/1.0)", async () => {
    const { port, upstreamPort, seen } = await startProxyToCookieUpstream();
    const answer = await rawExchange(port, "GET / HTTP/1.0\r\nX-Trace: t1\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.endsWith("\r\n\r\nok")).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.host).toBe(`127.0.0.1:${upstreamPort}`);
    expect(seen[0]!["x-trace"]).toBe("t1");
    expect(seen[0]!["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen[0]!["x-forwarded-host"]).toBeUndefined();
  });
});
