import { Agent, request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { RouterProxy } from "./proxy.js";
import { LATENCY_BOUNDS_MS } from "./stats.js";
import { backendOf, send, startUpstream, type TestUpstream } from "./test-upstream.js";

let proxy: RouterProxy | undefined;
let upstreams: TestUpstream[] = [];
let agents: Agent[] = [];

async function startProxy(options: Partial<ConstructorParameters<typeof RouterProxy>[0]> = {}) {
  proxy = new RouterProxy({ holdTimeoutMs: 5_000, holdMaxRequests: 100, ...options });
  const { port } = await proxy.listen(0, "127.0.0.1");
  return { proxy, port };
}

async function upstream(version: string): Promise<TestUpstream> {
  const started = await startUpstream(version);
  upstreams.push(started);
  return started;
}

function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  agents.push(agent);
  return agent;
}

afterEach(async () => {
  await proxy?.close(1_000);
  proxy = undefined;
  await Promise.all(upstreams.map((u) => u.kill()));
  upstreams = [];
  for (const agent of agents) agent.destroy();
  agents = [];
});

describe("RouterProxy", () => {
  it("splits traffic by weight", async () => {
    const { proxy, port } = await startProxy();
    proxy.setRoutes({
      backends: [backendOf("v1", 20, [await upstream("v1")]), backendOf("v2", 80, [await upstream("v2")])],
    });
    const agent = keepAliveAgent();
    const counts: Record<string, number> = { v1: 0, v2: 0 };
    for (let batch = 0; batch < 50; batch++) {
      const responses = await Promise.all(Array.from({ length: 20 }, () => send(port, "/", { agent })));
      for (const r of responses) counts[r.body] = (counts[r.body] ?? 0) + 1;
    }
    expect(counts.v1! + counts.v2!).toBe(1000);
    // 20% of 1000 has a standard deviation of about 12.6; 6 of them is far beyond chance.
    expect(counts.v1).toBeGreaterThan(125);
    expect(counts.v1).toBeLessThan(275);
  });

  it("sends nothing to a version of weight 0 and uses the other version when one has no endpoints", async () => {
    const { proxy, port } = await startProxy();
    proxy.setRoutes({
      backends: [backendOf("v1", 0, [await upstream("v1")]), backendOf("v2", 100, [await upstream("v2")])],
    });
    const bodies = await Promise.all(Array.from({ length: 50 }, () => send(port, "/")));
    expect(new Set(bodies.map((r) => r.body))).toEqual(new Set(["v2"]));

    proxy.setRoutes({ backends: [backendOf("v1", 0, [upstreams[0]!]), backendOf("v2", 100, [])] });
    const fallback = await Promise.all(Array.from({ length: 20 }, () => send(port, "/")));
    expect(new Set(fallback.map((r) => r.body))).toEqual(new Set(["v1"]));
  });

  it("spreads requests over the endpoints of a version", async () => {
    const { proxy, port } = await startProxy();
    const [a, b, c] = [await upstream("v1"), await upstream("v1"), await upstream("v1")];
    proxy.setRoutes({ backends: [backendOf("v1", 100, [a, b, c])] });
    for (let i = 0; i < 30; i++) await send(port, "/");
    expect([a.received, b.received, c.received]).toEqual([10, 10, 10]);
  });

  it("streams large request and response bodies", async () => {
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [await upstream("v1")])] });
    const chunk = Buffer.alloc(64 * 1024, 7);
    const chunks = 160; // 10 MiB
    const received = await new Promise<{ bytes: number; allSevens: boolean }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/echo", method: "POST" }, (res) => {
        let bytes = 0;
        let allSevens = true;
        res.on("data", (data: Buffer) => {
          bytes += data.length;
          if (data.some((byte) => byte !== 7)) allSevens = false;
        });
        res.on("end", () => resolve({ bytes, allSevens }));
        res.on("error", reject);
      });
      req.on("error", reject);
      let written = 0;
      const writeMore = () => {
        while (written < chunks) {
          written++;
          if (!req.write(chunk)) return void req.once("drain", writeMore);
        }
        req.end();
      };
      writeMore();
    });
    expect(received).toEqual({ bytes: chunk.length * chunks, allSevens: true });
  });

  it("sets X-Forwarded headers and drops hop-by-hop ones", async () => {
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [await upstream("v1")])] });
    const response = await send(port, "/headers", {
      headers: {
        "x-forwarded-for": "10.0.0.1",
        connection: "keep-alive, x-secret",
        "x-secret": "s",
        "keep-alive": "timeout=5",
      },
    });
    const seen = JSON.parse(response.body) as Record<string, string>;
    expect(seen["x-forwarded-for"]).toBe("10.0.0.1, 127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-host"]).toBe(`127.0.0.1:${port}`);
    expect(seen.host).toBe(`127.0.0.1:${port}`);
    expect(seen["x-secret"]).toBeUndefined();
    expect(seen["keep-alive"]).toBeUndefined();
    expect(seen.via).toBeUndefined();
  });

  it("retries on another endpoint when a connection is refused", async () => {
    const { proxy, port } = await startProxy();
    const dead = await upstream("v1");
    const alive = await upstream("v1");
    await dead.kill();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [dead, alive])] });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(port, "/", { method: i % 2 ? "POST" : "GET", body: i % 2 ? "small" : undefined }),
      ),
    );
    expect(responses.every((r) => r.status === 200 && r.body === "v1")).toBe(true);
    expect(alive.received).toBe(20);
  });

  it("answers 502 when every endpoint refuses", async () => {
    const { proxy, port } = await startProxy();
    const dead = await upstream("v1");
    await dead.kill();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [dead])] });
    const response = await send(port, "/");
    expect(response.status).toBe(502);
    expect(response.body).toContain("ECONNREFUSED");
    expect(proxy.stats().v1).toMatchObject({ requests: 1, errors: 1, inFlight: 0 });
  });

  it("holds requests while no endpoint exists and releases them when endpoints arrive", async () => {
    const { proxy, port } = await startProxy({ holdTimeoutMs: 10_000 });
    proxy.setRoutes({ backends: [backendOf("v1", 100, [])] });
    const pending = Promise.all(
      Array.from({ length: 10 }, () => send(port, "/", { method: "POST", body: "x" })),
    );
    await waitFor(() => proxy.activeRequests() === 10);
    proxy.setRoutes({ backends: [backendOf("v2", 100, [await upstream("v2")])] });
    const responses = await pending;
    expect(responses.map((r) => r.body)).toEqual(Array(10).fill("v2"));
  });

  it("answers 503 when too many requests wait, and when held requests time out", async () => {
    const { proxy, port } = await startProxy({ holdTimeoutMs: 300, holdMaxRequests: 2 });
    const started = performance.now();
    const waiting = Promise.all([send(port, "/"), send(port, "/")]);
    await waitFor(() => proxy.activeRequests() === 2);
    const refused = await send(port, "/");
    expect(refused.status).toBe(503);
    expect(refused.body).toContain("2 requests already wait");
    const timedOut = await waiting;
    expect(timedOut.map((r) => r.status)).toEqual([503, 503]);
    expect(timedOut.every((r) => r.body.includes("within 300ms"))).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("counts requests, 5xx errors and latencies per version", async () => {
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [await upstream("v1")])] });
    for (let i = 0; i < 6; i++) await send(port, "/");
    for (let i = 0; i < 3; i++) await send(port, "/status/500");
    await send(port, "/status/404");
    await send(port, "/slow/30");
    const stats = proxy.stats().v1!;
    expect(stats).toMatchObject({ requests: 11, errors: 3, inFlight: 0 });
    expect(stats.latency.boundsMs).toEqual(LATENCY_BOUNDS_MS);
    expect(stats.latency.counts.reduce((a, b) => a + b, 0)).toBe(11);
    const atLeast25ms = stats.latency.counts
      .slice(LATENCY_BOUNDS_MS.indexOf(25) + 1)
      .reduce((a, b) => a + b, 0);
    expect(atLeast25ms).toBeGreaterThanOrEqual(1);
  });

  it("closes gracefully: in-flight requests finish, held ones get 503, new connections are refused", async () => {
    const { proxy, port } = await startProxy();
    proxy.setRoutes({ backends: [backendOf("v1", 100, [await upstream("v1")])] });
    const slow = send(port, "/slow/150");
    await waitFor(() => proxy.activeRequests() === 1);
    const closed = proxy.close(5_000);
    expect(await slow).toMatchObject({ status: 200, body: "v1" });
    await closed;
    await expect(send(port, "/")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("tracks in-flight requests per endpoint", async () => {
    const { proxy, port } = await startProxy();
    const slow = await upstream("v1");
    proxy.setRoutes({ backends: [backendOf("v1", 100, [slow])] });
    const pending = Promise.all([send(port, "/slow/200"), send(port, "/slow/200")]);
    await waitFor(() => proxy.inFlight(slow.id) === 2);
    proxy.setRoutes({ backends: [] });
    expect(proxy.inFlight(slow.id)).toBe(2);
    await pending;
    expect(proxy.inFlight(slow.id)).toBe(0);
  });
});

/** Polls a condition every few milliseconds, for at most two seconds. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("condition not met within 2s");
}
