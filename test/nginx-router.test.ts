import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../src/core/clock.js";
import type { NginxRouterConfig } from "../src/core/config.js";
import { RouterError } from "../src/core/errors.js";
import { silentLogger } from "../src/core/types.js";
import { routerOnlyStore } from "../src/routers/builtin/test-store.js";
import { NginxRouter } from "../src/routers/nginx/router.js";
import { ensureNginx } from "../src/routers/nginx/test-nginx.js";
import type { RouteBackend, RouterContext } from "../src/routers/types.js";
import { type LoadReport, runLoad, startLoad } from "../src/testing/load.js";
import { describeRun } from "./helpers/cli.js";
import { killNginxUnder } from "./helpers/nginx.js";
import { freePort } from "./helpers/ports.js";
import { isProcessRunning } from "./helpers/processes.js";
import { TestProject } from "./helpers/project.js";
import { describeLoad, sampleVersions, startSteadyLoad } from "./helpers/traffic.js";
import { waitFor } from "./helpers/wait.js";

/**
 * The nginx router with a real nginx (Debian's package) under continuous load: weights moved by hand,
 * a refused configuration, an endpoint that dies, then a full canary through the engine with the engine
 * killed and restarted in the middle. Not one request may fail.
 */

let binary: string;
const scratch: string[] = [];

beforeAll(async () => {
  binary = await ensureNginx();
}, 600_000);

afterAll(() => {
  // Whatever failed above: no nginx master started under a directory of this test outlives it.
  for (const dir of scratch) {
    killNginxUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Upstream {
  version: string;
  id: string;
  port: number;
  /** Stops listening and cuts every connection, like a crashed process. */
  crash(): Promise<void>;
}

/** A real HTTP server answering `{"version": ...}` as JSON, like an instance of the service. */
async function startUpstream(version: string, id: string): Promise<Upstream> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    const body = JSON.stringify({ version, id });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    version,
    id,
    port: (server.address() as AddressInfo).port,
    crash: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function backend(version: string, weight: number, upstreams: Upstream[]): RouteBackend {
  return {
    version,
    weight,
    endpoints: upstreams.map((u) => ({ id: u.id, host: "127.0.0.1", port: u.port })),
  };
}

/**
 * Asserts that `count` of `n` requests is what a weight of `percent` gives: within 4.5 standard
 * deviations of a binomial (a false alarm about once in 150,000 checks), exactly 0 or n at 0% and 100%.
 */
function expectShare(count: number, n: number, percent: number, detail: string): void {
  const p = percent / 100;
  if (p === 0 || p === 1) {
    expect(count, detail).toBe(p * n);
    return;
  }
  const sd = Math.sqrt(n * p * (1 - p));
  expect(
    Math.abs(count - n * p),
    `${count}/${n} at ${percent}% (sd ${sd.toFixed(1)}): ${detail}`,
  ).toBeLessThanOrEqual(4.5 * sd);
}

describe("nginx router under continuous load (real nginx)", () => {
  const upstreams: Upstream[] = [];
  let router: NginxRouter;
  let context: RouterContext;
  let config: NginxRouterConfig;

  afterAll(async () => {
    await router?.stop(AbortSignal.timeout(60_000)).catch(() => undefined);
    await Promise.all(upstreams.map((u) => u.crash()));
  });

  it("moves weights 0 -> 10 -> 50 -> 100 and back, survives a refused config and a dead endpoint, fails nothing", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "tandem-nginx-load-"));
    scratch.push(stateDir);
    for (const [version, id] of [
      ["1.0.0", "a1"],
      ["1.0.0", "a2"],
      ["2.0.0", "b1"],
      ["2.0.0", "b2"],
    ] as const) {
      upstreams.push(await startUpstream(version, id));
    }
    const [a1, a2, b1, b2] = upstreams as [Upstream, Upstream, Upstream, Upstream];
    context = {
      project: "systest",
      environment: "staging",
      service: "web",
      stateDir,
      store: routerOnlyStore(),
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
    router = new NginxRouter(config, context);
    const url = `http://127.0.0.1:${config.listen}/`;
    const signal = () => AbortSignal.timeout(30_000);
    const table = (weight: number, canary = [b1, b2]) => ({
      backends: [backend("1.0.0", 100 - weight, [a1, a2]), backend("2.0.0", weight, canary)],
    });

    await router.apply(table(0), signal());
    const load = startLoad({
      url,
      concurrency: 4,
      ratePerSecond: 150,
      durationMs: 120_000,
      maxRequests: 30_000,
    });
    const samples: LoadReport[] = [];
    try {
      for (const weight of [0, 10, 50, 100, 50, 10, 0]) {
        await router.apply(table(weight), signal());
        const sample = await runLoad({ url, concurrency: 8, maxRequests: 400, durationMs: 30_000 });
        samples.push(sample);
        expect(sample.failed, describeLoad(sample)).toBe(0);
        expectShare(sample.versions["2.0.0"] ?? 0, sample.ok, weight, describeLoad(sample));
      }

      // A table nginx refuses: a clear RouterError, and the previous table keeps serving.
      const refused = router.apply(
        {
          backends: [
            { version: "3.0.0", weight: 100, endpoints: [{ id: "x", host: "127.0.0.1:1", port: 80 }] },
          ],
        },
        signal(),
      );
      await expect(refused).rejects.toThrow(RouterError);
      await expect(refused).rejects.toThrow(/nginx refused the generated configuration: .*invalid port/);
      expect(await router.current(signal())).toEqual(table(0));
      const afterRefusal = await sampleVersions(url, 100);
      expect(afterRefusal.versions, describeLoad(afterRefusal)).toEqual({ "1.0.0": 100 });

      // An endpoint that dies while still in the table: its requests go to the next endpoint.
      await router.apply(table(50), signal());
      await b2.crash();
      const withDeadEndpoint = await runLoad({ url, concurrency: 8, maxRequests: 400, durationMs: 30_000 });
      expect(withDeadEndpoint.failed, describeLoad(withDeadEndpoint)).toBe(0);
      expectShare(
        withDeadEndpoint.versions["2.0.0"] ?? 0,
        withDeadEndpoint.ok,
        50,
        describeLoad(withDeadEndpoint),
      );

      // Removed, drained, then stopped: the usual way out of the table.
      await router.apply(table(0, [b1]), signal());
      await router.drain([b1.id, b2.id], 10_000, signal());
      await b1.crash();
      const afterRemoval = await sampleVersions(url, 100);
      expect(afterRemoval.versions, describeLoad(afterRemoval)).toEqual({ "1.0.0": 100 });
    } finally {
      await load.stop();
    }
    const report = await load.done;
    expect(report.failed, describeLoad(report)).toBe(0);
    expect(report.rejected, describeLoad(report)).toBe(0);
    expect(report.sent, "the load ran through every change").toBeGreaterThan(300);

    // The router's own per-version counts (from nginx's access log) saw every request.
    const stats = await router.stats(signal());
    const counted = (stats["1.0.0"]?.requests ?? 0) + (stats["2.0.0"]?.requests ?? 0);
    const sent = report.ok + samples.reduce((sum, s) => sum + s.ok, 0) + 100 + 400 + 100;
    expect(counted).toBe(sent);
    expect(stats["1.0.0"]?.errors).toBe(0);
    expect(stats["2.0.0"]?.errors).toBe(0);
  }, 240_000);
});

describe("a canary through the engine with the nginx router (real nginx, real processes)", () => {
  let project: TestProject | undefined;

  afterAll(async () => {
    const finished = project;
    project = undefined;
    if (finished) scratch.push(finished.dir);
    try {
      await finished?.cleanup();
    } finally {
      if (finished) killNginxUnder(finished.dir);
    }
  });

  it("1.0.0 -> 1.1.0 under load, engine killed mid-canary and restarted: nginx keeps serving, no request fails", async () => {
    project = await TestProject.create({
      services: {
        web: {
          router: { type: "nginx", nginx: binary, workerProcesses: 2 },
          strategy: {
            canary: { steps: [{ setWeight: 20 }, { pause: "5s" }, { setWeight: 50 }, { pause: "2s" }] },
          },
        },
      },
    });
    const url = project.url("web");
    const first = await project.deploy("web@1.0.0");
    expect(first.status).toBe("succeeded");
    expect((await sampleVersions(url, 20)).versions).toEqual({ "1.0.0": 20 });
    const masterBefore = (await project.recordedPids()).routers;
    expect(masterBefore).toHaveLength(1);
    expect(readFileSync(`/proc/${masterBefore[0]}/cmdline`, "utf8")).toContain("nginx: master process");
    const store = await project.inspect();

    const load = startSteadyLoad(url);
    try {
      const deploy = project.spawnCli(["deploy", "web@1.1.0"]);
      await waitFor(
        "the canary to be 1.5s into its 5s pause at 20%",
        async () => {
          const [release] = await store.history({ active: true });
          const rollout = release?.rollouts[0];
          const step = rollout?.steps[rollout.stepIndex];
          return (
            step?.type === "pause" && rollout!.weight === 20 && Date.now() >= rollout!.stepStartedAt + 1_500
          );
        },
        { timeoutMs: 60_000 },
      );
      const killed = await deploy.kill("SIGKILL");
      expect(killed.signal).toBe("SIGKILL");

      // No engine runs: nginx serves the 20% split on its own.
      const okAtKill = load.snapshot().ok;
      await waitFor("100 more requests answered with no engine", () => load.snapshot().ok >= okAtKill + 100);
      const alone = await sampleVersions(url, 300);
      expect(alone.failed, describeLoad(alone)).toBe(0);
      expectShare(alone.versions["1.1.0"] ?? 0, alone.ok, 20, describeLoad(alone));

      const engine = await project.cli(["engine"], { timeoutMs: 90_000 });
      expect(engine.code, describeRun(["engine"], engine)).toBe(0);
    } finally {
      await load.stop();
    }
    const report = await load.done;

    const [release] = await store.history({ limit: 1 });
    expect(release?.status).toBe("succeeded");
    expect(release?.rollouts[0]).toMatchObject({ version: "1.1.0", weight: 100, status: "succeeded" });
    expect(report.failed, describeLoad(report)).toBe(0);
    expect(report.rejected, describeLoad(report)).toBe(0);
    expect(report.versions["1.0.0"] ?? 0).toBeGreaterThan(0);
    expect(report.versions["1.1.0"] ?? 0).toBeGreaterThan(0);

    const masterAfter = (await project.recordedPids()).routers;
    expect(masterAfter, "the same nginx master served before, during and after").toEqual(masterBefore);
    expect(isProcessRunning(masterAfter[0]!)).toBe(true);

    const after = await sampleVersions(url);
    expect(after.versions, describeLoad(after)).toEqual({ "1.1.0": 60 });
    const where = (await project.status()).where[0]!;
    expect(where.stable?.version).toBe("1.1.0");
    expect(
      where.instances.map((i) => i.version),
      "the old version's instances were stopped",
    ).toEqual(["1.1.0", "1.1.0"]);
    // `tandem status` reads nginx's access log: what the new version served, without errors.
    expect(where.traffic?.["1.1.0"]?.requests).toBeGreaterThanOrEqual((report.versions["1.1.0"] ?? 0) + 60);
    expect(where.traffic?.["1.1.0"]?.errors).toBe(0);

    const down = await project.cli(["down"]);
    expect(down.code, describeRun(["down"], down)).toBe(0);
    expect(isProcessRunning(masterAfter[0]!), "tandem down stopped nginx").toBe(false);
  }, 240_000);
});
