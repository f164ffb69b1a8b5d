import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { adminPort, startAdminServer } from "./admin.js";
import { RouterProxy } from "./proxy.js";

const token = "a-test-token";
let proxy: RouterProxy;
let admin: Server | undefined;
let shutdowns = 0;

async function startAdmin(): Promise<string> {
  proxy = new RouterProxy({ holdTimeoutMs: 1_000, holdMaxRequests: 10 });
  await proxy.listen(0, "127.0.0.1");
  shutdowns = 0;
  admin = await startAdminServer({ proxy, token, health: { pid: 42 }, onShutdown: () => shutdowns++ });
  return `http://127.0.0.1:${adminPort(admin)}`;
}

afterEach(async () => {
  await new Promise((resolve) => admin?.close(resolve));
  admin?.closeAllConnections();
  admin = undefined;
  await proxy.close(500);
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
    expect(await (await fetch(`${base}/healthz`, { headers: auth })).json()).toEqual({ ok: true, pid: 42 });
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
});
