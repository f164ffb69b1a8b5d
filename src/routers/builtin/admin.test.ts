import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { adminPort, startAdminServer } from "./admin.js";
import { ServiceRegistry } from "./services.js";

const token = "a-test-token";
const defaults = { holdTimeoutMs: 1_000, holdMaxRequests: 10 };
let services: ServiceRegistry;
let admin: Server | undefined;
let shutdowns = 0;

/** An admin server with one default service "main" (as a daemon started with --port has). */
async function startAdmin(): Promise<string> {
  services = new ServiceRegistry();
  await services.put("main", { host: "127.0.0.1", port: 0, ...defaults });
  shutdowns = 0;
  admin = await startAdminServer({
    services,
    defaultService: "main",
    defaults,
    token,
    health: { pid: 42 },
    onShutdown: () => shutdowns++,
  });
  return `http://127.0.0.1:${adminPort(admin)}`;
}

const proxy = { routes: () => services.get("main")!.routes() };

afterEach(async () => {
  await new Promise((resolve) => admin?.close(resolve));
  admin?.closeAllConnections();
  admin = undefined;
  await services.closeAll(500);
});

const auth = { authorization: `Bearer ${token}` };
const table = {
  backends: [
    { version: "v1", weight: 30, endpoints: [{ id: "a", host: "127.0.0.1", port: 9001 }] },
    { version: "v2", weight: 70, endpoints: [{ id: "b", host: "127.0.0.1", port: 9002 }] },
  ],
};

describe("router admin API", () => {
  it("refuses requests without the right bearer token", async () => {
    const base = await startAdmin();
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { authorization: token },
      { authorization: `Bearer ${token}x` },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${base}/healthz`, { headers });
      expect(response.status).toBe(401);
    }
    expect((await fetch(`${base}/routes`, { method: "PUT", body: JSON.stringify(table) })).status).toBe(401);
    expect(proxy.routes()).toEqual({ backends: [] });
  });

  it("answers health, replaces and returns the route table, and reports stats", async () => {
    const base = await startAdmin();
    expect(await (await fetch(`${base}/healthz`, { headers: auth })).json()).toEqual({
      ok: true,
      pid: 42,
      services: 1,
    });
    const put = await fetch(`${base}/routes`, { method: "PUT", headers: auth, body: JSON.stringify(table) });
    expect(put.status).toBe(200);
    expect(await (await fetch(`${base}/routes`, { headers: auth })).json()).toEqual(table);
    expect(proxy.routes()).toEqual(table);
    const stats = (await (await fetch(`${base}/stats`, { headers: auth })).json()) as Record<string, unknown>;
    expect(Object.keys(stats).sort()).toEqual(["v1", "v2"]);
    expect(stats.v1).toMatchObject({ requests: 0, errors: 0, inFlight: 0 });
    const inflight = await (await fetch(`${base}/inflight?ids=a,b,unknown`, { headers: auth })).json();
    expect(inflight).toEqual({ inFlight: { a: 0, b: 0, unknown: 0 } });
  });

  it("rejects invalid route tables with 400 and a clear message", async () => {
    const base = await startAdmin();
    const cases: [unknown, string][] = [
      [{ backends: [{ version: "v1", weight: 60, endpoints: [] }] }, "add up to 100"],
      [{ backends: [{ version: "v1", weight: 101, endpoints: [] }] }, "backends[0].weight"],
      [{ backends: [{ version: "v1", weight: 100, endpoints: [{ id: "a", host: "h", port: 0 }] }] }, "port"],
      [{ backends: [{ version: "v1", weight: 100, endpoints: [{ id: "a", port: 80 }] }] }, "host"],
      [{ routes: [] }, "backends"],
    ];
    for (const [body, fragment] of cases) {
      const response = await fetch(`${base}/routes`, {
        method: "PUT",
        headers: auth,
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(fragment);
    }
    const notJson = await fetch(`${base}/routes`, { method: "PUT", headers: auth, body: "{" });
    expect(notJson.status).toBe(400);
    expect(proxy.routes()).toEqual({ backends: [] });
  });

  it("answers 404 and 405 for unknown paths and methods, and 202 on shutdown", async () => {
    const base = await startAdmin();
    expect((await fetch(`${base}/nope`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${base}/stats`, { method: "DELETE", headers: auth })).status).toBe(405);
    const shutdown = await fetch(`${base}/shutdown`, { method: "POST", headers: auth });
    expect(shutdown.status).toBe(202);
    await shutdown.text();
    for (let i = 0; i < 100 && shutdowns === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(shutdowns).toBe(1);
  });

  it("opens, describes and removes services, each with its own listener and table", async () => {
    const base = await startAdmin();
    const put = (name: string, body: unknown) =>
      fetch(`${base}/services/${name}`, { method: "PUT", headers: auth, body: JSON.stringify(body) });
    const created = await put("web", { host: "127.0.0.1", port: 0 });
    expect(created.status).toBe(200);
    const view = (await created.json()) as { listenPort: number; pid: number; previewPort: null };
    expect(view).toMatchObject({ pid: 42, name: "web", previewPort: null, holdTimeoutMs: 1_000 });
    expect(view.listenPort).toBeGreaterThan(0);
    // Again with port 0: the listener stays where it is.
    expect(
      ((await (await put("web", { host: "127.0.0.1", port: 0 })).json()) as typeof view).listenPort,
    ).toBe(view.listenPort);
    const routes = await fetch(`${base}/services/web/routes`, {
      method: "PUT",
      headers: auth,
      body: JSON.stringify(table),
    });
    expect(routes.status).toBe(200);
    expect(await (await fetch(`${base}/services/web/routes`, { headers: auth })).json()).toEqual(table);
    expect(proxy.routes()).toEqual({ backends: [] });
    expect(await (await fetch(`${base}/services`, { headers: auth })).json()).toEqual({
      services: ["main", "web"],
    });
    const removed = await fetch(`${base}/services/web`, { method: "DELETE", headers: auth });
    expect(removed.status).toBe(200);
    expect(services.get("web")).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${view.listenPort}/`)).rejects.toThrow();
  });

  it("ejects endpoints until a table no longer lists them, and reports when they left traffic", async () => {
    const base = await startAdmin();
    await fetch(`${base}/routes`, { method: "PUT", headers: auth, body: JSON.stringify(table) });
    const before = Date.now();
    const ejected = await fetch(`${base}/services/main/eject`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ ids: ["b"] }),
    });
    expect(ejected.status).toBe(200);
    const view = (await ejected.json()) as {
      ejected: string[];
      unservedAt: Record<string, number>;
      ejectedAt: Record<string, number>;
    };
    expect(view.ejected).toEqual(["b"]);
    expect(view.unservedAt.b).toBeGreaterThanOrEqual(before);
    expect(view.ejectedAt.b).toBe(view.unservedAt.b);
    // The table reads back as applied; the same table again keeps "b" out.
    expect(await (await fetch(`${base}/routes`, { headers: auth })).json()).toEqual(table);
    await fetch(`${base}/routes`, { method: "PUT", headers: auth, body: JSON.stringify(table) });
    const again = await (await fetch(`${base}/services/main`, { headers: auth })).json();
    expect(again).toMatchObject({ ejected: ["b"] });
    const withoutB = { backends: [{ ...table.backends[0]!, weight: 100 }] };
    await fetch(`${base}/routes`, { method: "PUT", headers: auth, body: JSON.stringify(withoutB) });
    expect(await (await fetch(`${base}/services/main`, { headers: auth })).json()).toMatchObject({
      ejected: [],
    });
  });

  it("ejects endpoints of several services in one call, naming the services it does not know", async () => {
    const base = await startAdmin();
    await services.put("web", { host: "127.0.0.1", port: 0, ...defaults });
    await fetch(`${base}/routes`, { method: "PUT", headers: auth, body: JSON.stringify(table) });
    await fetch(`${base}/services/web/routes`, { method: "PUT", headers: auth, body: JSON.stringify(table) });
    const response = await fetch(`${base}/eject`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ services: { main: ["b"], web: ["a", "b"], gone: ["x"] } }),
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ejected: 2, unknown: ["gone"] });
    expect(services.get("main")!.view().ejected).toEqual(["b"]);
    expect([...services.get("web")!.view().ejected].sort()).toEqual(["a", "b"]);
  });

  it("answers 404 for an unknown service, 400 for bad input, 401 without the token, 409 when not idle", async () => {
    const base = await startAdmin();
    for (const path of ["/services/nope", "/services/nope/routes", "/services/nope/stats"]) {
      const response = await fetch(`${base}${path}`, { headers: auth });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe("UNKNOWN_SERVICE");
    }
    expect((await fetch(`${base}/services/nope`, { method: "DELETE", headers: auth })).status).toBe(404);
    const bad: [string, string, unknown, string][] = [
      ["PUT", "/services/web", { port: 0 }, "host"],
      ["PUT", "/services/web", { host: "127.0.0.1", port: 70000 }, "port"],
      ["PUT", "/services/web", { host: "127.0.0.1", port: 0, previewPort: "x" }, "previewPort"],
      ["PUT", "/services/web", [], "object"],
      ["PUT", "/services/*", { host: "127.0.0.1", port: 0 }, "invalid service name"],
      ["POST", "/services/main/eject", { ids: "b" }, "ids"],
      ["POST", "/eject", { services: [] }, "batch eject"],
      ["POST", "/eject", { services: { main: "b" } }, "batch eject"],
      ["POST", "/eject", { services: { "../x": ["b"] } }, "invalid service name"],
      ["POST", "/eject", { services: { main: [""] } }, "batch eject"],
      ["PUT", "/services/main/routes", { backends: 1 }, "backends"],
    ];
    for (const [method, path, body, fragment] of bad) {
      const response = await fetch(`${base}${path}`, { method, headers: auth, body: JSON.stringify(body) });
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(fragment);
    }
    expect((await fetch(`${base}/services/web`, { method: "PUT", headers: auth, body: "{" })).status).toBe(
      400,
    );
    expect(services.get("web")).toBeUndefined();
    const wrong = { authorization: "Bearer wrong" };
    for (const [method, path] of [
      ["GET", "/services"],
      ["PUT", "/services/web"],
      ["POST", "/services/main/eject"],
    ] as const) {
      const body = method === "GET" ? undefined : JSON.stringify({ host: "127.0.0.1", port: 0, ids: ["a"] });
      expect((await fetch(`${base}${path}`, { method, headers: wrong, body })).status).toBe(401);
    }
    expect(services.get("web")).toBeUndefined();
    const notIdle = await fetch(`${base}/shutdown?ifIdle=1`, { method: "POST", headers: auth });
    expect(notIdle.status).toBe(409);
    expect(((await notIdle.json()) as { code: string }).code).toBe("NOT_IDLE");
    expect(shutdowns).toBe(0);
  });

  it("answers 409 with EADDRINUSE when a service's port is taken, and keeps the old listener", async () => {
    const base = await startAdmin();
    const mainPort = services.get("main")!.view().listenPort;
    const first = await fetch(`${base}/services/web`, {
      method: "PUT",
      headers: auth,
      body: JSON.stringify({ host: "127.0.0.1", port: 0 }),
    });
    const webPort = ((await first.json()) as { listenPort: number }).listenPort;
    const clash = await fetch(`${base}/services/web`, {
      method: "PUT",
      headers: auth,
      body: JSON.stringify({ host: "127.0.0.1", port: mainPort }),
    });
    expect(clash.status).toBe(409);
    expect(((await clash.json()) as { code: string }).code).toBe("EADDRINUSE");
    expect(services.get("web")!.view().listenPort).toBe(webPort);
  });
});
