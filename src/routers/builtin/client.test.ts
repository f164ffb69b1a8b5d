import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../core/clock.js";
import { RouterError } from "../../core/errors.js";
import { silentLogger } from "../../core/types.js";
import type { RouterContext } from "../types.js";
import { BuiltinRouter, type BuiltinRouterConfig } from "./client.js";
import { pidAlive, spawnRouterDaemon, waitForExit } from "./spawn.js";
import { routerOnlyStore } from "./test-store.js";
import { backendOf, send, startUpstream, type TestUpstream } from "./test-upstream.js";

// Spawns dist/routers/builtin/daemon.js: run `npm run build` (or `npx tsc -p tsconfig.build.json`) first.

const signal = new AbortController().signal;
let stateDir: string;
let routers: BuiltinRouter[] = [];
let upstreams: TestUpstream[] = [];

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), "tandem-router-"));
});
afterEach(async () => {
  for (const router of routers) await router.stop(signal).catch(() => {});
  routers = [];
  await Promise.all(upstreams.map((u) => u.kill()));
  upstreams = [];
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

function routerFor(context: RouterContext, config: Partial<BuiltinRouterConfig> = {}): BuiltinRouter {
  const router = new BuiltinRouter(
    { type: "builtin", listen: 0, host: "127.0.0.1", holdTimeout: 2_000, holdMaxRequests: 100, ...config },
    context,
  );
  routers.push(router);
  return router;
}

function contextWith(store = routerOnlyStore(), service = "api"): RouterContext {
  return {
    project: "shop",
    environment: "test",
    service,
    stateDir,
    store,
    clock: systemClock,
    log: silentLogger,
  };
}

describe("BuiltinRouter", () => {
  it("starts a daemon, routes traffic through it, is adopted by a second client, and stops", async () => {
    const store = routerOnlyStore();
    const first = routerFor(contextWith(store));
    await first.ensure(signal);
    const record = (await store.getRouter("shop", "test", "api"))!;
    expect(pidAlive(record.pid)).toBe(true);
    expect(first.address()).toEqual({ host: "127.0.0.1", port: record.listenPort });

    const [v1, v2] = [await startUpstream("v1"), await startUpstream("v2")];
    upstreams.push(v1, v2);
    const table = { backends: [backendOf("v1", 50, [v1]), backendOf("v2", 50, [v2])] };
    await first.apply(table, signal);
    expect(await first.current(signal)).toEqual(table);
    const bodies = await Promise.all(Array.from({ length: 40 }, () => send(record.listenPort, "/")));
    expect(new Set(bodies.map((r) => r.body))).toEqual(new Set(["v1", "v2"]));

    const second = routerFor(contextWith(store));
    await second.ensure(signal);
    expect((await store.getRouter("shop", "test", "api"))!.pid).toBe(record.pid);
    expect(await second.current(signal)).toEqual(table);
    const stats = await second.stats(signal);
    expect(stats.v1!.requests + stats.v2!.requests).toBe(40);
    await second.drain([v1.id, v2.id], 1_000, signal);

    await second.stop(signal);
    expect(pidAlive(record.pid)).toBe(false);
    expect(await store.getRouter("shop", "test", "api")).toBeUndefined();
    await expect(send(record.listenPort, "/")).rejects.toThrow(/ECONNREFUSED/);
    // The token never reaches the log.
    expect(readFileSync(join(stateDir, "routers", "test.log"), "utf8")).not.toContain(record.token);
  });

  it("starts a new daemon when the recorded one is gone", async () => {
    const store = routerOnlyStore();
    await store.putRouter({
      project: "shop",
      environment: "test",
      service: "web",
      pid: 2 ** 22 + 7,
      listenHost: "127.0.0.1",
      listenPort: 1,
      adminPort: 1,
      token: "stale",
      startedAt: 0,
    });
    const router = routerFor(contextWith(store, "web"));
    await router.ensure(signal);
    const record = (await store.getRouter("shop", "test", "web"))!;
    expect(record.token).not.toBe("stale");
    expect(pidAlive(record.pid)).toBe(true);
  });

  it("holds requests while a recreate leaves no endpoint, then delivers them", async () => {
    const router = routerFor(contextWith(routerOnlyStore(), "worker"));
    await router.apply({ backends: [backendOf("v1", 100, [])] }, signal);
    const port = router.address()!.port;
    const pending = send(port, "/");
    const v2 = await startUpstream("v2");
    upstreams.push(v2);
    await router.apply({ backends: [backendOf("v2", 100, [v2])] }, signal);
    expect((await pending).body).toBe("v2");
  });

  it("names the port when something else listens on it", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const store = routerOnlyStore();
      const router = routerFor(contextWith(store, "blocked"), { listen: port });
      const error = await router.ensure(signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RouterError);
      expect((error as RouterError).message).toContain(`127.0.0.1:${port}: the port is in use`);
      // The daemon started for it serves nothing, so it is gone too.
      expect(store.routers.size).toBe(0);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("serves the preview version alone on previewListen, and closes it when that setting goes", async () => {
    const previewPort = await freePort();
    const store = routerOnlyStore();
    const router = routerFor(contextWith(store, "shop-web"), { previewListen: previewPort });
    const [v1, v2] = [await startUpstream("v1"), await startUpstream("v2")];
    upstreams.push(v1, v2);
    const table = {
      backends: [backendOf("v1", 100, [v1]), backendOf("v2", 0, [v2])],
      preview: { version: "v2", endpoints: backendOf("v2", 0, [v2]).endpoints },
    };
    await router.apply(table, signal);
    expect(await router.current(signal)).toEqual(table);
    const port = router.address()!.port;
    const main = await Promise.all(Array.from({ length: 10 }, () => send(port, "/")));
    const preview = await Promise.all(Array.from({ length: 10 }, () => send(previewPort, "/")));
    expect(new Set(main.map((r) => r.body))).toEqual(new Set(["v1"]));
    expect(new Set(preview.map((r) => r.body))).toEqual(new Set(["v2"]));

    const firstPid = (await store.getRouter("shop", "test", "shop-web"))!.pid;
    const without = routerFor(contextWith(store, "shop-web"));
    await without.ensure(signal);
    expect((await store.getRouter("shop", "test", "shop-web"))!.pid).toBe(firstPid);
    // A kept-alive socket to the closed listener is hung up; a new connection is refused.
    await expect(send(previewPort, "/")).rejects.toThrow(/ECONNREFUSED|socket hang up|ECONNRESET/);
    await expect(send(previewPort, "/")).rejects.toThrow(/ECONNREFUSED/);
    expect((await send(port, "/")).body).toBe("v1");
  });

  it("rejects an invalid table before calling the daemon", async () => {
    const router = routerFor(contextWith(routerOnlyStore(), "invalid"));
    await expect(router.apply({ backends: [backendOf("v1", 40, [])] }, signal)).rejects.toThrow(
      /add up to 100/,
    );
  });
});

describe("one daemon for many services", () => {
  it("serves two services from one process; stopping one leaves the other serving; the last stop ends it", async () => {
    const store = routerOnlyStore();
    const api = routerFor(contextWith(store, "api"));
    const web = routerFor(contextWith(store, "web"));
    const [v1, v2] = [await startUpstream("api-v1"), await startUpstream("web-v1")];
    upstreams.push(v1, v2);
    await api.apply({ backends: [backendOf("v1", 100, [v1])] }, signal);
    await web.apply({ backends: [backendOf("v1", 100, [v2])] }, signal);
    const daemon = (await store.getRouter("shop", "test", "*"))!;
    expect(daemon.pid).toBeGreaterThan(0);
    expect((await store.getRouter("shop", "test", "api"))!.pid).toBe(daemon.pid);
    expect((await store.getRouter("shop", "test", "web"))!.pid).toBe(daemon.pid);
    const [apiPort, webPort] = [api.address()!.port, web.address()!.port];
    expect(apiPort).not.toBe(webPort);
    expect((await send(apiPort, "/")).body).toBe("api-v1");
    expect((await send(webPort, "/")).body).toBe("web-v1");
    expect((await api.stats(signal)).v1!.requests).toBe(1);

    await api.stop(signal);
    expect(pidAlive(daemon.pid)).toBe(true);
    await expect(send(apiPort, "/")).rejects.toThrow(/ECONNREFUSED/);
    expect((await send(webPort, "/")).body).toBe("web-v1");
    expect(await store.getRouter("shop", "test", "api")).toBeUndefined();

    await web.stop(signal);
    expect(pidAlive(daemon.pid)).toBe(false);
    expect(store.routers.size).toBe(0);
  });

  it("starts one daemon when many services ensure at once", async () => {
    const store = routerOnlyStore();
    const many = Array.from({ length: 30 }, (_, i) => routerFor(contextWith(store, `s${i}`)));
    await Promise.all(many.map((router) => router.ensure(signal)));
    const pids = new Set([...store.routers.values()].map((record) => record.pid));
    expect(pids.size).toBe(1);
    expect(store.routers.size).toBe(31);
    const ports = new Set(many.map((router) => router.address()!.port));
    expect(ports.size).toBe(30);
    // A second round (the next pass) changes nothing.
    await Promise.all(many.map((router) => router.ensure(signal)));
    expect(new Set([...store.routers.values()].map((record) => record.pid))).toEqual(pids);
  });

  it("replaces a one-service daemon of an older Tandem that holds the service's port", async () => {
    const store = routerOnlyStore();
    const port = await freePort();
    const token = "old-token";
    const old = await spawnRouterDaemon(
      {
        host: "127.0.0.1",
        port,
        holdTimeoutMs: 1_000,
        holdMaxRequests: 10,
        name: "shop/test/legacy",
        token,
        logFile: join(stateDir, "routers", "legacy.log"),
        readyTimeoutMs: 10_000,
      },
      signal,
    );
    await store.putRouter({
      project: "shop",
      environment: "test",
      service: "legacy",
      pid: old.pid,
      listenHost: "127.0.0.1",
      listenPort: port,
      adminPort: old.adminPort,
      token,
      startedAt: 0,
    });
    const router = routerFor(contextWith(store, "legacy"), { listen: port });
    // Before the upgrade's first ensure, reads go to the old daemon's root paths.
    expect(await router.current(signal)).toEqual({ backends: [] });
    await router.ensure(signal);
    expect(await waitForExit(old.pid, 10_000)).toBe(true);
    const record = (await store.getRouter("shop", "test", "legacy"))!;
    expect(record.pid).toBe((await store.getRouter("shop", "test", "*"))!.pid);
    expect(record.listenPort).toBe(port);
    const v1 = await startUpstream("v1");
    upstreams.push(v1);
    await router.apply({ backends: [backendOf("v1", 100, [v1])] }, signal);
    expect((await send(port, "/")).body).toBe("v1");
  });

  it("ejects a failed endpoint at once: every request goes to the other version", async () => {
    const store = routerOnlyStore();
    const router = routerFor(contextWith(store, "canary"));
    const [stable, canary] = [await startUpstream("stable"), await startUpstream("canary")];
    upstreams.push(stable, canary);
    await router.apply({ backends: [backendOf("v1", 50, [stable]), backendOf("v2", 50, [canary])] }, signal);
    const port = router.address()!.port;
    const before = await Promise.all(Array.from({ length: 20 }, () => send(port, "/")));
    expect(new Set(before.map((r) => r.body))).toEqual(new Set(["stable", "canary"]));
    await router.eject!([canary.id], signal);
    const after = await Promise.all(Array.from({ length: 40 }, () => send(port, "/")));
    expect(new Set(after.map((r) => r.body))).toEqual(new Set(["stable"]));
    // The route table reads back as applied, so the engine's same-table check holds.
    expect((await router.current(signal))!.backends[1]!.endpoints.map((e) => e.id)).toEqual([canary.id]);
  });

  it("ejects endpoints of two services asked for together (one batch for the daemon)", async () => {
    const store = routerOnlyStore();
    const [api, web] = [routerFor(contextWith(store, "api")), routerFor(contextWith(store, "web"))];
    const ups = await Promise.all(["api-1", "api-2", "web-1", "web-2"].map((name) => startUpstream(name)));
    upstreams.push(...ups);
    const [api1, api2, web1, web2] = ups as [TestUpstream, TestUpstream, TestUpstream, TestUpstream];
    await api.apply({ backends: [backendOf("v1", 50, [api1]), backendOf("v2", 50, [api2])] }, signal);
    await web.apply({ backends: [backendOf("v1", 50, [web1]), backendOf("v2", 50, [web2])] }, signal);

    await Promise.all([api.eject!([api2.id], signal), web.eject!([web2.id], signal)]);
    const apiAfter = await Promise.all(Array.from({ length: 20 }, () => send(api.address()!.port, "/")));
    const webAfter = await Promise.all(Array.from({ length: 20 }, () => send(web.address()!.port, "/")));
    expect(new Set(apiAfter.map((r) => r.body))).toEqual(new Set(["api-1"]));
    expect(new Set(webAfter.map((r) => r.body))).toEqual(new Set(["web-1"]));
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
