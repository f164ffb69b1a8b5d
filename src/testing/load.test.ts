import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TandemError } from "../core/errors.js";
import { isLoopbackHost, percentile, runLoad, startLoad } from "./load.js";

/** Answers like the demo service: JSON with a version; every 10th request fails with 502. */
let server: Server;
let baseUrl: string;
let served = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    served++;
    const path = request.url ?? "/";
    if (path === "/missing") {
      response.writeHead(404).end("not found");
      return;
    }
    if (path === "/plain") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    const status = served % 10 === 0 ? 502 : 200;
    const version = served % 2 === 0 ? "1.0.0" : "1.1.0";
    setTimeout(() => {
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ version }));
    }, 1);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("runLoad", () => {
  it("sends exactly maxRequests, and the counts add up", async () => {
    served = 0;
    const report = await runLoad({
      url: `${baseUrl}/`,
      concurrency: 4,
      maxRequests: 200,
      durationMs: 20_000,
    });
    expect(report.stoppedBy).toBe("maxRequests");
    expect(report.sent).toBe(200);
    expect(report.inFlight).toBe(0);
    expect(report.ok + report.failed + report.rejected).toBe(200);
    expect(report.failed).toBe(20);
    expect(report.failures).toEqual({ "502": 20 });
    expect((report.versions["1.0.0"] ?? 0) + (report.versions["1.1.0"] ?? 0)).toBe(200);
    expect(report.versionFailures["1.0.0"]).toBe(20);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.p99).toBeGreaterThanOrEqual(report.latencyMs.p50);
    expect(report.latencyMs.max).toBeGreaterThanOrEqual(report.latencyMs.p99);
  });

  it("stops by itself when the duration is over", async () => {
    const begin = Date.now();
    const report = await runLoad({
      url: `${baseUrl}/`,
      concurrency: 2,
      ratePerSecond: 100,
      maxRequests: 1_000_000,
      durationMs: 300,
    });
    expect(Date.now() - begin).toBeLessThan(2000);
    expect(report.stoppedBy).toBe("duration");
    expect(report.sent).toBeGreaterThan(5);
    // 100 per second for 0.3 s: about 30, never far more.
    expect(report.sent).toBeLessThanOrEqual(32);
    expect(report.ok + report.failed + report.rejected).toBe(report.sent);
  });

  it("counts 4xx as rejected, neither ok nor failed, and ignores bodies without a version", async () => {
    const missing = await runLoad({
      url: `${baseUrl}/missing`,
      concurrency: 2,
      maxRequests: 6,
      durationMs: 5000,
    });
    expect(missing).toMatchObject({ sent: 6, ok: 0, failed: 0, rejected: 6, versions: {} });
    const plain = await runLoad({
      url: `${baseUrl}/plain`,
      concurrency: 2,
      maxRequests: 6,
      durationMs: 5000,
    });
    expect(plain).toMatchObject({ sent: 6, ok: 6, failed: 0, versions: {} });
  });

  it("groups network errors by code", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const report = await runLoad({
      url: `http://127.0.0.1:${port}/`,
      concurrency: 3,
      maxRequests: 9,
      durationMs: 5000,
    });
    expect(report).toMatchObject({ sent: 9, ok: 0, failed: 9, failures: { ECONNREFUSED: 9 } });
  });

  it("refuses hosts that are not loopback", async () => {
    const options = { concurrency: 1, maxRequests: 1, durationMs: 100 };
    await expect(runLoad({ url: "http://10.0.0.1/", ...options })).rejects.toThrow(TandemError);
    await expect(runLoad({ url: "http://10.0.0.1/", ...options })).rejects.toThrow(/only loopback/);
    expect(() => startLoad({ url: "http://example.com/", ...options })).toThrow(/only loopback/);
    expect(() => startLoad({ url: "https://127.0.0.1/", ...options })).toThrow(/only http/);
  });

  it("refuses missing or non-positive bounds", () => {
    const url = `${baseUrl}/`;
    expect(() => startLoad({ url, concurrency: 1, maxRequests: 0, durationMs: 100 })).toThrow(/maxRequests/);
    expect(() => startLoad({ url, concurrency: 1, maxRequests: 1, durationMs: Number.NaN })).toThrow(
      /durationMs/,
    );
    expect(() => startLoad({ url, concurrency: 0, maxRequests: 1, durationMs: 100 })).toThrow(/concurrency/);
  });

  it("stops sending when its signal aborts", async () => {
    const controller = new AbortController();
    const running = runLoad({
      url: `${baseUrl}/`,
      concurrency: 2,
      ratePerSecond: 50,
      maxRequests: 1_000_000,
      durationMs: 60_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const report = await running;
    expect(report.stoppedBy).toBe("signal");
    expect(report.inFlight).toBe(0);
    expect(report.sent).toBeLessThan(20);
  });
});

describe("startLoad", () => {
  it("reports while running and stops on request", async () => {
    const run = startLoad({
      url: `${baseUrl}/`,
      concurrency: 2,
      ratePerSecond: 200,
      maxRequests: 100_000,
      durationMs: 30_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const during = run.snapshot();
    expect(during.stoppedBy).toBeUndefined();
    expect(during.sent).toBeGreaterThan(0);
    expect(during.ok + during.failed + during.rejected + during.inFlight).toBe(during.sent);
    const final = await run.stop();
    expect(final.stoppedBy).toBe("stopped");
    expect(final.inFlight).toBe(0);
    expect(final.sent).toBeGreaterThanOrEqual(during.sent);
    expect(await run.done).toBe(final);
  });
});

describe("helpers", () => {
  it("recognises loopback hosts only", () => {
    for (const host of ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1", "LOCALHOST"]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      "10.0.0.1",
      "128.0.0.1",
      "example.com",
      "localhost.example.com",
      "[::2]",
      "0.0.0.0",
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it("computes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([7], 99)).toBe(7);
  });
});
