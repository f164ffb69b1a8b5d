import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../core/clock.js";
import type { NginxRouterConfig } from "../../core/config.js";
import { RouterError } from "../../core/errors.js";
import { silentLogger } from "../../core/types.js";
import { pidAlive } from "../builtin/spawn.js";
import { routerOnlyStore } from "../builtin/test-store.js";
import { backendOf, send, startUpstream, type TestUpstream } from "../builtin/test-upstream.js";
import type { RouterContext } from "../types.js";
import { workerIdentities, workerRunning } from "./processes.js";
import { NginxRouter } from "./router.js";
import { stopMaster } from "./stop.js";
import { ensureNginx } from "./test-nginx.js";

const signal = () => AbortSignal.timeout(30_000);

describe("NginxRouter against a real nginx", () => {
  let stateDir: string;
  let context: RouterContext;
  let config: NginxRouterConfig;
  let router: NginxRouter;
  const upstreams: TestUpstream[] = [];

  beforeAll(async () => {
    const binary = await ensureNginx();
    stateDir = mkdtempSync(join(tmpdir(), "tandem-nginx-router-"));
    const store = routerOnlyStore();
    context = {
      project: "shop",
      environment: "test",
      service: "api",
      stateDir,
      store,
      clock: systemClock,
      log: silentLogger,
    };
    config = {
      type: "nginx",
      listen: await freePort(),
      host: "127.0.0.1",
      nginx: binary,
      workerProcesses: 2,
      clientKeepalive: 0,
    };
    for (const version of ["v1", "v1", "v2"]) upstreams.push(await startUpstream(version));
    router = new NginxRouter(config, context);
  }, 600_000);

  afterAll(async () => {
    await router?.stop(signal()).catch(() => undefined);
    // Whatever happened above, no master of this test outlives it.
    const pidFile = join(stateDir, "nginx", "test.api", "nginx.pid");
    if (existsSync(pidFile)) await stopMaster(Number(readFileSync(pidFile, "utf8")), stateDir);
    await Promise.all(upstreams.map((u) => u.kill()));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("starts a master that answers 503 until a table is applied, and records it in the store", async () => {
    await router.ensure(signal());
    const record = await context.store.getRouter("shop", "test", "api");
    expect(record?.listenPort).toBe(config.listen);
    expect(pidAlive(record!.pid)).toBe(true);
    expect(readFileSync(`/proc/${record!.pid}/cmdline`, "utf8")).toContain("nginx: master process");
    expect((await send(config.listen, "/")).status).toBe(503);
    expect(await router.current(signal())).toBeUndefined();
    expect(router.address()).toEqual({ host: "127.0.0.1", port: config.listen });
  });

  it("serves an applied table, splits by weight, and reports it as current", async () => {
    const [a, b, c] = upstreams as [TestUpstream, TestUpstream, TestUpstream];
    const table = { backends: [backendOf("v1", 100, [a, b]), backendOf("v2", 0, [c])] };
    await router.apply(table, signal());
    expect(await router.current(signal())).toEqual(table);
    const bodies = await Promise.all(Array.from({ length: 20 }, () => send(config.listen, "/")));
    expect(bodies.map((r) => r.body)).toEqual(Array(20).fill("v1"));

    await router.apply({ backends: [backendOf("v1", 50, [a, b]), backendOf("v2", 50, [c])] }, signal());
    const split = await Promise.all(Array.from({ length: 400 }, () => send(config.listen, "/")));
    const v2 = split.filter((r) => r.body === "v2").length;
    // 400 requests at p = 0.5: the standard deviation is 10; 5 of them is far beyond chance.
    expect(v2).toBeGreaterThan(150);
    expect(v2).toBeLessThan(250);
  });

  it("counts requests, errors and latency per version from the access log, incrementally", async () => {
    const [a, b, c] = upstreams as [TestUpstream, TestUpstream, TestUpstream];
    await router.apply({ backends: [backendOf("v1", 0, [a, b]), backendOf("v2", 100, [c])] }, signal());
    const before = await router.stats(signal());
    for (let i = 0; i < 10; i++) await send(config.listen, "/");
    for (let i = 0; i < 3; i++) await send(config.listen, "/status/500");
    const after = await new NginxRouter(config, context).stats(signal());
    const again = await router.stats(signal());
    for (const stats of [after, again]) {
      expect(stats.v2!.requests - (before.v2?.requests ?? 0)).toBe(13);
      expect(stats.v2!.errors - (before.v2?.errors ?? 0)).toBe(3);
      expect(stats.v2!.latency.counts.reduce((x, y) => x + y, 0)).toBe(stats.v2!.requests);
    }
    expect(after.v1!.requests).toBeGreaterThan(0);
  });

  it("refuses a table nginx rejects with nginx's message, and keeps serving the previous one", async () => {
    const [, , c] = upstreams as [TestUpstream, TestUpstream, TestUpstream];
    const served = await router.current(signal());
    const bad = {
      backends: [{ version: "v3", weight: 100, endpoints: [{ id: "x", host: "127.0.0.1:1", port: 80 }] }],
    };
    const refused = router.apply(bad, signal());
    await expect(refused).rejects.toThrow(RouterError);
    await expect(refused).rejects.toThrow(/nginx refused the generated configuration: .*invalid port/);
    expect(await router.current(signal())).toEqual(served);
    expect((await send(config.listen, "/")).body).toBe("v2");
    expect(served?.backends.find((x) => x.version === "v2")?.endpoints[0]?.port).toBe(c.port);
  });

  it("is adopted by a new instance (a restarted engine) without restarting nginx", async () => {
    const pid = (await context.store.getRouter("shop", "test", "api"))!.pid;
    const adopted = new NginxRouter(config, context);
    await adopted.ensure(signal());
    expect((await context.store.getRouter("shop", "test", "api"))!.pid).toBe(pid);
    expect((await adopted.current(signal()))?.backends.map((b) => b.weight)).toEqual([0, 100]);
    const [a, b, c] = upstreams as [TestUpstream, TestUpstream, TestUpstream];
    const before = workerIdentities(pid);
    expect(before).toHaveLength(2);
    await adopted.apply({ backends: [backendOf("v1", 100, [a, b]), backendOf("v2", 0, [c])] }, signal());
    expect((await send(config.listen, "/")).body).toBe("v1");
    await adopted.drain([c.id], 10_000, signal());
    // Every worker of the replaced configuration is gone, so nothing can still proxy to c.
    expect(before.filter(workerRunning)).toEqual([]);
    expect(readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)).toHaveLength(2);
  });

  it("replaces a master that was killed, on the next ensure", async () => {
    const pid = (await context.store.getRouter("shop", "test", "api"))!.pid;
    const workers = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
    for (const victim of [pid, ...workers.map(Number)]) process.kill(victim, "SIGKILL");
    await waitUntil(() => !pidAlive(pid));
    await router.ensure(signal());
    const replaced = (await context.store.getRouter("shop", "test", "api"))!.pid;
    expect(replaced).not.toBe(pid);
    expect(pidAlive(replaced)).toBe(true);
    expect(await router.current(signal()), "a new master starts with no table").toBeUndefined();
    const [a, b] = upstreams as [TestUpstream, TestUpstream];
    await router.apply({ backends: [backendOf("v1", 100, [a, b])] }, signal());
    expect((await send(config.listen, "/")).body).toBe("v1");
  });

  it("stops the master on stop(), forgetting it in the store", async () => {
    const pid = (await context.store.getRouter("shop", "test", "api"))!.pid;
    await router.stop(signal());
    expect(pidAlive(pid)).toBe(false);
    expect(await context.store.getRouter("shop", "test", "api")).toBeUndefined();
    await expect(send(config.listen, "/")).rejects.toThrow(/ECONNREFUSED/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
