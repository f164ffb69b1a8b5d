import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TandemError } from "../core/errors.js";
import { HttpProbe, type HttpProbeConfig } from "./http.js";
import { closedPort, endpointAt, timing } from "./test-helpers.js";

let server: Server;
const answeredOn = new WeakSet<object>();
const connections: Socket[] = [];
let port: number;
const never = new AbortController().signal;

function probe(overrides: Partial<HttpProbeConfig> = {}): HttpProbe {
  return new HttpProbe({
    ...timing,
    type: "http",
    name: "health",
    path: "/health",
    status: [200, 399],
    headers: {},
    ...overrides,
  });
}

beforeAll(async () => {
  server = createServer((request, response) => {
    switch (request.url) {
      case "/health":
        response.end('{"status":"ok"}');
        return;
      case "/broken":
        response.statusCode = 503;
        response.end("overloaded");
        return;
      case "/degraded":
        response.end('{"status":"degraded"}');
        return;
      case "/moved":
        response.statusCode = 302;
        response.setHeader("location", "/elsewhere");
        response.end();
        return;
      case "/private":
        response.statusCode = request.headers.authorization === "Bearer s3cret" ? 200 : 401;
        response.end();
        return;
      case "/once-per-socket": {
        // The second request on a kept-alive socket finds it closed, as when the instance's idle timeout
        // closed it just as the probe reused it.
        const socket = request.socket;
        if (answeredOn.has(socket)) {
          socket.destroy();
          return;
        }
        answeredOn.add(socket);
        response.end("ok");
        return;
      }
      case "/slow": {
        const timer = setTimeout(() => response.end("late"), 3_000);
        response.on("close", () => clearTimeout(timer));
        return;
      }
      default:
        response.statusCode = 404;
        response.end();
    }
  });
  server.on("connection", (socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("HttpProbe", () => {
  it("passes on a status within range", async () => {
    const result = await probe().check(endpointAt(port), never);
    expect(result).toMatchObject({ ok: true, message: `GET http://127.0.0.1:${port}/health -> 200` });
  });

  it("fails on a status out of range, saying what was expected", async () => {
    const result = await probe({ path: "/broken" }).check(endpointAt(port), never);
    expect(result.ok).toBe(false);
    expect(result.message).toBe(`GET http://127.0.0.1:${port}/broken -> 503 (expected 200-399)`);
  });

  it("judges a redirect as it is, without following it", async () => {
    expect((await probe({ path: "/moved" }).check(endpointAt(port), never)).ok).toBe(true);
    const strict = await probe({ path: "/moved", status: [200, 299] }).check(endpointAt(port), never);
    expect(strict.message).toContain("-> 302 (expected 200-299)");
  });

  it("checks the body against the pattern", async () => {
    const matching = await probe({ body: '"status":\\s*"ok"' }).check(endpointAt(port), never);
    expect(matching.ok).toBe(true);

    const mismatch = await probe({ path: "/degraded", body: '"status":\\s*"ok"' }).check(
      endpointAt(port),
      never,
    );
    expect(mismatch.ok).toBe(false);
    expect(mismatch.message).toContain("body does not match");
    expect(mismatch.message).toContain("degraded");
  });

  it("sends the configured headers", async () => {
    expect((await probe({ path: "/private" }).check(endpointAt(port), never)).ok).toBe(false);
    const authorized = probe({ path: "/private", headers: { authorization: "Bearer s3cret" } });
    expect((await authorized.check(endpointAt(port), never)).ok).toBe(true);
  });

  it("probes the configured port instead of the endpoint's", async () => {
    const result = await probe({ port }).check(endpointAt(1), never);
    expect(result.ok).toBe(true);
  });

  it("times out after config.timeout", async () => {
    const startedAt = Date.now();
    const result = await probe({ path: "/slow", timeout: 200 }).check(endpointAt(port), never);
    expect(result.ok).toBe(false);
    expect(result.message).toBe(`GET http://127.0.0.1:${port}/slow -> timed out after 200ms`);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await probe({ path: "/slow", timeout: 5_000 }).check(endpointAt(port), controller.signal);
    expect(result.ok).toBe(false);
    expect(result.message).toContain("-> aborted");
  });

  it("reports a refused connection", async () => {
    const refusedPort = await closedPort();
    const result = await probe().check(endpointAt(refusedPort), never);
    expect(result).toMatchObject({
      ok: false,
      message: `GET http://127.0.0.1:${refusedPort}/health -> connection refused`,
    });
  });

  it("keeps its connection between checks", async () => {
    const keptAlive = probe();
    await keptAlive.check(endpointAt(port), never);
    const before = connections.length;
    for (let i = 0; i < 3; i++) expect((await keptAlive.check(endpointAt(port), never)).ok).toBe(true);
    expect(connections.length).toBe(before);
  });

  it("tries once more on a new connection when a kept-alive socket turns out closed", async () => {
    const reused = probe({ path: "/once-per-socket" });
    expect((await reused.check(endpointAt(port), never)).ok).toBe(true);
    const before = connections.length;
    const second = await reused.check(endpointAt(port), never);
    expect(second).toMatchObject({
      ok: true,
      message: `GET http://127.0.0.1:${port}/once-per-socket -> 200`,
    });
    expect(connections.length).toBe(before + 1);
  });

  it("rejects an invalid body pattern up front", () => {
    expect(() => probe({ body: "(" })).toThrow(TandemError);
  });
});
