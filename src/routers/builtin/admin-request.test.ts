import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminRequest } from "./admin-request.js";

let server: Server;
let port: number;
let connections: number;
let seen: { method: string; url: string; auth: string | undefined; body: string }[];

beforeEach(async () => {
  connections = 0;
  seen = [];
  server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      seen.push({ method: request.method!, url: request.url!, auth: request.headers.authorization, body });
      if (request.url === "/huge") {
        response.end("x".repeat(17 * 1024 * 1024));
        return;
      }
      if (request.url === "/never") return;
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ ok: true, url: request.url }));
    });
  });
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const never = new AbortController().signal;

describe("adminRequest", () => {
  it("sends the token and the body, and reuses one kept-alive connection for calls in turn", async () => {
    const first = await adminRequest({
      port,
      method: "PUT",
      path: "/services/api/routes",
      token: "tok",
      body: '{"a":1}',
      signal: never,
    });
    const second = await adminRequest({
      port,
      method: "GET",
      path: "/services/api/routes",
      token: "tok",
      signal: never,
    });

    expect(first.status).toBe(200);
    expect(JSON.parse(second.text)).toEqual({ ok: true, url: "/services/api/routes" });
    expect(seen).toEqual([
      { method: "PUT", url: "/services/api/routes", auth: "Bearer tok", body: '{"a":1}' },
      { method: "GET", url: "/services/api/routes", auth: "Bearer tok", body: "" },
    ]);
    expect(connections).toBe(1);
  });

  it("sends a call again on a new connection when the daemon closed the idle one", async () => {
    await adminRequest({ port, method: "GET", path: "/one", token: "tok", signal: never });
    // The server drops its idle keep-alive socket without the client having noticed yet.
    server.closeIdleConnections();
    const answer = await adminRequest({ port, method: "GET", path: "/two", token: "tok", signal: never });

    expect(answer.status).toBe(200);
    expect(seen.map((call) => call.url)).toEqual(["/one", "/two"]);
    expect(connections).toBe(2);
  });

  it("rejects with the signal's reason when aborted, and refuses an answer over 16 MiB", async () => {
    const controller = new AbortController();
    const pending = adminRequest({
      port,
      method: "GET",
      path: "/never",
      token: "tok",
      signal: controller.signal,
    });
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1);
    controller.abort(new Error("stopped"));
    await expect(pending).rejects.toThrow("stopped");

    await expect(
      adminRequest({ port, method: "GET", path: "/huge", token: "tok", signal: never }),
    ).rejects.toThrow(/exceeds 16777216 bytes/);
  });
});
