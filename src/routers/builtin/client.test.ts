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
import { pidAlive } from "./spawn.js";
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
    expect(readFileSync(join(stateDir, "routers", "test.api.log"), "utf8")).not.toContain(record.token);
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
      const router = routerFor(contextWith(routerOnlyStore(), "blocked"), { listen: port });
      const error = await router.ensure(signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RouterError);
      expect((error as RouterError).message).toContain(`127.0.0.1:${port}: the port is in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("serves the preview version alone on previewListen, and restarts when that setting changes", async () => {
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
    expect((await store.getRouter("shop", "test", "shop-web"))!.pid).not.toBe(firstPid);
    await expect(send(previewPort, "/")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("rejects an invalid table before calling the daemon", async () => {
    const router = routerFor(contextWith(routerOnlyStore(), "invalid"));
    await expect(router.apply({ backends: [backendOf("v1", 40, [])] }, signal)).rejects.toThrow(
      /add up to 100/,
    );
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
