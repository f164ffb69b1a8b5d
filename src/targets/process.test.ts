import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearSecrets, registerSecret } from "../config/redact.js";
import { ManualClock } from "../core/clock.js";
import { TargetError } from "../core/errors.js";
import { isProcessAlive } from "../core/process-alive.js";
import { type Endpoint, silentLogger } from "../core/types.js";
import type { Store } from "../store/types.js";
import { memoryInstanceStore } from "../testing/memory-instances.js";
import { ProcessTarget, type ProcessTargetConfig } from "./process.js";
import type { TargetContext } from "./types.js";

/** A small HTTP server: reports what it was given; on SIGTERM drains (exits after 150ms) or ignores it. */
const SERVER_SCRIPT = `
import http from "node:http";
const mode = process.argv[2] ?? "graceful";
const server = http.createServer((request, response) => {
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify({
    port: process.env.PORT,
    version: process.env.TANDEM_VERSION,
    service: process.env.TANDEM_SERVICE,
    environment: process.env.TANDEM_ENVIRONMENT,
    extra: process.env.EXTRA,
    arg: process.argv[3],
    cwd: process.cwd(),
  }));
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening on " + process.env.PORT));
process.on("SIGTERM", () => {
  if (mode === "ignore") { console.log("ignoring SIGTERM"); return; }
  console.log("draining");
  setTimeout(() => { server.close(); console.log("drained, bye"); process.exit(0); }, 150);
});
`;

let baseDir: string;
let store: Store;
const startedPids: number[] = [];
const never = new AbortController().signal;

function context(): TargetContext {
  return {
    project: "shop",
    environment: "staging",
    service: "api",
    stateDir: path.join(baseDir, ".tandem"),
    baseDir,
    store,
    clock: new ManualClock(),
    log: silentLogger,
  };
}

function config(overrides: Partial<ProcessTargetConfig> = {}): ProcessTargetConfig {
  return {
    type: "process",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the target's own placeholder, not a template
    command: [process.execPath, "server.mjs", "graceful", "${version}"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the target's own placeholder, not a template
    cwd: "apps/${version}",
    env: { EXTRA: "from-config" },
    replicas: 1,
    stopTimeout: 5_000,
    ...overrides,
  };
}

function writeApp(version: string): void {
  const dir = path.join(baseDir, "apps", version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "server.mjs"), SERVER_SCRIPT);
}

async function start(target: ProcessTarget, version: string, count: number): Promise<Endpoint[]> {
  const endpoints = await target.start(version, count, never);
  for (const endpoint of endpoints) if (endpoint.pid) startedPids.push(endpoint.pid);
  return endpoints;
}

/** GETs the instance until it answers (bounded: 100 tries, 10s). */
async function fetchInfo(endpoint: Endpoint): Promise<Record<string, string>> {
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; attempt < 100 && Date.now() < deadline; attempt++) {
    try {
      const response = await fetch(`http://${endpoint.host}:${endpoint.port}/`);
      return (await response.json()) as Record<string, string>;
    } catch {
      await delay(100);
    }
  }
  throw new Error(`instance ${endpoint.id} never answered on port ${endpoint.port}`);
}

/** Exited counts as dead even before this test process (the parent) reaps the zombie. */
function isAlive(pid: number): boolean {
  return isProcessAlive(pid);
}

beforeEach(() => {
  baseDir = mkdtempSync(path.join(tmpdir(), "tandem-process-target-"));
  store = memoryInstanceStore().store;
  writeApp("1.0.0");
});

afterEach(() => {
  for (const pid of startedPids.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  rmSync(baseDir, { recursive: true, force: true });
});

describe("ProcessTarget", () => {
  it("starts replicas on their own ports with the version, service and environment in their environment", async () => {
    const target = new ProcessTarget(config(), context());
    const endpoints = await start(target, "1.0.0", 2);

    expect(endpoints).toHaveLength(2);
    expect(new Set(endpoints.map((endpoint) => endpoint.port)).size).toBe(2);
    for (const endpoint of endpoints) {
      expect(endpoint.host).toBe("127.0.0.1");
      expect(endpoint.id).toMatch(/^api-1\.0\.0-[a-z0-9]{6}$/);
      const info = await fetchInfo(endpoint);
      expect(info).toMatchObject({
        port: String(endpoint.port),
        version: "1.0.0",
        service: "api",
        environment: "staging",
        extra: "from-config",
        arg: "1.0.0",
      });
      expect(info.cwd).toBe(path.join(baseDir, "apps", "1.0.0"));
    }
  });

  it("appends each instance's output to its log file under the state directory", async () => {
    const target = new ProcessTarget(config(), context());
    const [endpoint] = await start(target, "1.0.0", 1);
    await fetchInfo(endpoint!);

    const logFile = path.join(baseDir, ".tandem", "logs", "staging", "api", `1.0.0-${endpoint!.id}.log`);
    expect(existsSync(logFile)).toBe(true);
    expect(readFileSync(logFile, "utf8")).toContain(`listening on ${endpoint!.port}`);
  });

  it("masks secrets in the instance's log and in the end of it an exit reports, and the masker ends with the instance", async () => {
    const secret = "tdm-secret-9f8e7d6c5b4a";
    registerSecret(secret);
    try {
      const dir = path.join(baseDir, "apps", "3.0.0");
      mkdirSync(dir, { recursive: true });
      // A whole line, then a partial one split across two writes, then the exit.
      writeFileSync(
        path.join(dir, "server.mjs"),
        `console.log("token=" + process.env.API_TOKEN);
         process.stdout.write("half " + process.env.API_TOKEN.slice(0, 8));
         setTimeout(() => { process.stdout.write(process.env.API_TOKEN.slice(8) + " done\\n"); process.exit(4); }, 100);`,
      );
      const target = new ProcessTarget(config({ env: { API_TOKEN: secret } }), context());
      const [endpoint] = await start(target, "3.0.0", 1);
      const logFile = path.join(baseDir, ".tandem", "logs", "staging", "api", `3.0.0-${endpoint!.id}.log`);
      const maskers = () =>
        readdirSync("/proc")
          .filter((entry) => /^\d+$/.test(entry))
          .filter((pid) => {
            try {
              const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
              return cmdline.includes("log-masker.js") && cmdline.includes(logFile);
            } catch {
              return false;
            }
          });
      const deadline = Date.now() + 20_000;
      while ((isAlive(endpoint!.pid!) || maskers().length > 0) && Date.now() < deadline) await delay(20);
      expect(maskers()).toEqual([]);

      const log = readFileSync(logFile, "utf8");
      expect(log).toContain("token=***");
      expect(log).toContain("half *** done");
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.slice(0, 8));
      expect(await target.list("3.0.0")).toEqual([]);
      const [exit] = target.takeExited();
      expect(exit!.detail).toContain("half *** done");
      expect(exit!.detail).not.toContain(secret);
    } finally {
      clearSecrets();
    }
  });

  it("is adopted by a second target sharing the store, oldest first, and filtered by version", async () => {
    writeApp("2.0.0");
    const first = new ProcessTarget(config(), context());
    const old = await start(first, "1.0.0", 1);
    const newer = await start(first, "2.0.0", 1);

    const adopting = new ProcessTarget(config(), context());
    expect((await adopting.list()).map((endpoint) => endpoint.id)).toEqual([old[0]!.id, newer[0]!.id]);
    expect((await adopting.list("2.0.0")).map((endpoint) => endpoint.id)).toEqual([newer[0]!.id]);
  });

  it("forgets instances whose process has died", async () => {
    const target = new ProcessTarget(config(), context());
    const [endpoint] = await start(target, "1.0.0", 1);
    process.kill(-endpoint!.pid!, "SIGKILL");
    for (let i = 0; i < 100 && isAlive(endpoint!.pid!); i++) await delay(20);

    expect(await target.list()).toEqual([]);
    expect(await store.listInstances({ project: "shop" })).toEqual([]);
  });

  it("reports an instance that exited on its own once, with the end of its log", async () => {
    const dir = path.join(baseDir, "apps", "9.9.9");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, "server.mjs"),
      'console.error("cannot connect to database"); process.exit(3);',
    );
    const target = new ProcessTarget(config(), context());
    const [endpoint] = await start(target, "9.9.9", 1);
    for (let i = 0; i < 100 && isAlive(endpoint!.pid!); i++) await delay(20);

    expect(await target.list("9.9.9")).toEqual([]);
    const exits = target.takeExited();
    expect(exits).toHaveLength(1);
    expect(exits[0]!.endpoint.id).toBe(endpoint!.id);
    expect(exits[0]!.detail).toContain("cannot connect to database");
    expect(target.takeExited()).toEqual([]);
  });

  it("does not report instances it stopped itself", async () => {
    const target = new ProcessTarget(config(), context());
    const endpoints = await start(target, "1.0.0", 1);
    await target.stop(endpoints, never);
    await target.list();
    expect(target.takeExited()).toEqual([]);
  });

  it("stops gracefully: SIGTERM, waits for the instance to finish, forgets it", async () => {
    const target = new ProcessTarget(config(), context());
    const endpoints = await start(target, "1.0.0", 2);
    await Promise.all(endpoints.map(fetchInfo));

    const startedAt = Date.now();
    await target.stop(endpoints, never);

    expect(Date.now() - startedAt).toBeLessThan(4_000);
    for (const endpoint of endpoints) {
      expect(isAlive(endpoint.pid!)).toBe(false);
      const logFile = path.join(baseDir, ".tandem", "logs", "staging", "api", `1.0.0-${endpoint.id}.log`);
      expect(readFileSync(logFile, "utf8")).toContain("drained, bye");
    }
    expect(await target.list()).toEqual([]);
  });

  it("escalates to SIGKILL when an instance ignores SIGTERM for stopTimeout", async () => {
    const target = new ProcessTarget(
      config({ command: [process.execPath, "server.mjs", "ignore"], stopTimeout: 400 }),
      context(),
    );
    const [endpoint] = await start(target, "1.0.0", 1);
    await fetchInfo(endpoint!);

    const startedAt = Date.now();
    await target.stop([endpoint!], never);

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400);
    expect(isAlive(endpoint!.pid!)).toBe(false);
    expect(
      readFileSync(
        path.join(baseDir, ".tandem", "logs", "staging", "api", `1.0.0-${endpoint!.id}.log`),
        "utf8",
      ),
    ).toContain("ignoring SIGTERM");
    expect(await target.list()).toEqual([]);
  });

  it("refuses a command that does not exist with a TargetError naming the command and cwd", async () => {
    const target = new ProcessTarget(
      config({ command: ["tandem-no-such-command-xyz", "--serve"] }),
      context(),
    );
    const error = await target.start("1.0.0", 1, never).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).code).toBe("TANDEM_ERR_TARGET");
    expect((error as TargetError).message).toContain("tandem-no-such-command-xyz");
    expect((error as TargetError).message).toContain(path.join(baseDir, "apps", "1.0.0"));
    expect((error as TargetError).hint).toMatch(/PATH/);
    expect(await store.listInstances({ project: "shop" })).toEqual([]);
  });

  it("refuses a working directory that does not exist", async () => {
    const target = new ProcessTarget(config(), context());
    const error = await target.start("9.9.9", 1, never).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).message).toContain(path.join(baseDir, "apps", "9.9.9"));
    expect((error as TargetError).message).toContain("does not exist");
  });
});
