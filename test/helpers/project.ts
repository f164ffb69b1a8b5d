import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { ReleaseState, TandemEvent } from "../../src/core/types.js";
import { Orchestrator, type WhereEntry } from "../../src/orchestrator.js";
import { type CliOptions, CliProcess, type CliResult, describeRun } from "./cli.js";
import { DEMO_APP_DIR, DEMO_SERVER } from "./paths.js";
import { freePort } from "./ports.js";
import { killLeftoverNodeProcess, processesLoggingUnder } from "./processes.js";

export interface ServiceOptions {
  /** The `strategy` block, e.g. `{ canary: { steps: [{ setWeight: 20 }, { pause: "2s" }] } }`. */
  strategy: Record<string, unknown>;
  /** Default 2. */
  replicas?: number;
  /** A directory with one sub-directory per version holding a release.json. Default: the demo app's. */
  appDir?: string;
  /** The instances' environment (`${env:X}` allowed). */
  env?: Record<string, string>;
  /** The router's holdTimeout. Default 10s. */
  holdTimeout?: string;
  /** Health probes. Default: http /health every 250ms, failing after 8 misses in a row. */
  health?: Array<Record<string, unknown>>;
  /** Give the router a preview listener on a free port (`previewPorts[name]`). */
  preview?: boolean;
  /** The services this one needs first. */
  dependsOn?: string[];
  /** Another router than the builtin one, e.g. `{ type: "nginx" }`; `listen` is filled in. */
  router?: Record<string, unknown>;
}

export interface ProjectOptions {
  services: Record<string, ServiceOptions>;
  /** Added to the environment of every CLI run and of the in-process Orchestrator (secrets, for instance). */
  env?: Record<string, string>;
  /** The top-level `analysis:` templates. */
  analysis?: Record<string, unknown>;
}

/**
 * Probes count a refused connection as a failure, so failureThreshold × period must cover a node
 * process starting on a busy machine (2s here); an unhealthy version still fails within about 2s.
 */
export const DEFAULT_HEALTH = [
  { type: "http", path: "/health", period: "250ms", timeout: "500ms", failureThreshold: 8 },
];

export interface StatusJson {
  releases: ReleaseState[];
  /** Only with a release named: its events, oldest first. */
  events?: TandemEvent[];
  where: WhereEntry[];
}

/**
 * One test's Tandem project in its own temporary directory: a tandem.yaml whose services run the demo
 * app behind routers on free ports, the state directory next to it, and everything needed to drive it
 * with the compiled CLI and to clean it up afterwards.
 */
export class TestProject {
  private readonly processes: CliProcess[] = [];
  private orchestrator: Orchestrator | undefined;

  private constructor(
    readonly dir: string,
    readonly configFile: string,
    readonly ports: Record<string, number>,
    private readonly env: Record<string, string>,
    readonly previewPorts: Record<string, number> = {},
  ) {}

  /** Writes the project; services listen on free ports. */
  static async create(options: ProjectOptions): Promise<TestProject> {
    const dir = mkdtempSync(join(tmpdir(), "tandem-systest-"));
    const ports: Record<string, number> = {};
    const previewPorts: Record<string, number> = {};
    const services: Record<string, unknown> = {};
    for (const [name, service] of Object.entries(options.services)) {
      ports[name] = await freePort();
      if (service.preview) previewPorts[name] = await freePort();
      services[name] = {
        target: {
          type: "process",
          command: ["node", DEMO_SERVER],
          cwd: `${service.appDir ?? DEMO_APP_DIR}/\${version}`,
          replicas: service.replicas ?? 2,
          stopTimeout: "2s",
          ...(service.env ? { env: service.env } : {}),
        },
        router: service.router
          ? { listen: ports[name], ...service.router }
          : {
              type: "builtin",
              listen: ports[name],
              holdTimeout: service.holdTimeout ?? "10s",
              ...(service.preview ? { previewListen: previewPorts[name] } : {}),
            },
        health: service.health ?? DEFAULT_HEALTH,
        strategy: service.strategy,
        ...(service.dependsOn ? { dependsOn: service.dependsOn } : {}),
      };
    }
    const config = {
      project: "systest",
      environments: { staging: {} },
      ...(options.analysis ? { analysis: options.analysis } : {}),
      services,
    };
    const configFile = join(dir, "tandem.yaml");
    writeFileSync(configFile, stringify(config));
    return new TestProject(dir, configFile, ports, options.env ?? {}, previewPorts);
  }

  /** A project directory with a tandem.yaml written verbatim (for configuration mistakes). */
  static withConfigText(text: string, env: Record<string, string> = {}): TestProject {
    const dir = mkdtempSync(join(tmpdir(), "tandem-systest-"));
    const configFile = join(dir, "tandem.yaml");
    writeFileSync(configFile, text);
    return new TestProject(dir, configFile, {}, env);
  }

  /** A project directory with no tandem.yaml yet (for `tandem init`). */
  static inEmptyDirectory(): TestProject {
    const dir = mkdtempSync(join(tmpdir(), "tandem-systest-"));
    return new TestProject(dir, join(dir, "tandem.yaml"), {}, {});
  }

  /** Where clients send the service's traffic. */
  url(service: string): string {
    const port = this.ports[service];
    if (port === undefined) throw new Error(`no service ${service} in this project`);
    return `http://127.0.0.1:${port}/`;
  }

  /** Starts `tandem -c tandem.yaml ARGS...` in the background. */
  spawnCli(args: string[], options: CliOptions = {}): CliProcess {
    const child = new CliProcess(["-c", this.configFile, ...args], {
      ...options,
      env: { ...this.env, ...options.env },
    });
    this.processes.push(child);
    return child;
  }

  /** Runs `tandem -c tandem.yaml ARGS...` to completion. */
  cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
    return this.spawnCli(args, options).result;
  }

  /** Runs `tandem -c tandem.yaml --json ARGS...`, expects `expectedCode`, and parses its stdout. */
  async cliJson<T>(args: string[], expectedCode = 0, options: CliOptions = {}): Promise<T> {
    const full = ["--json", ...args];
    const result = await this.cli(full, options);
    if (result.code !== expectedCode) {
      throw new Error(`expected exit code ${expectedCode}: ${describeRun(full, result)}`);
    }
    try {
      return JSON.parse(result.stdout) as T;
    } catch {
      throw new Error(`stdout is not JSON: ${describeRun(full, result)}`);
    }
  }

  /** `tandem deploy SERVICE@VERSION`, expecting exit code `expectedCode`; returns the final release. */
  deploy(serviceAtVersion: string, expectedCode = 0): Promise<ReleaseState> {
    return this.cliJson<ReleaseState>(["deploy", serviceAtVersion], expectedCode);
  }

  status(releaseId?: string): Promise<StatusJson> {
    return this.cliJson<StatusJson>(releaseId ? ["status", releaseId] : ["status"]);
  }

  /** The project's store, read in this process (opened once, closed by cleanup). */
  async inspect(): Promise<Orchestrator> {
    this.orchestrator ??= await Orchestrator.open(this.configFile, { env: { ...process.env, ...this.env } });
    return this.orchestrator;
  }

  /** Pids of the routers and instances the store records now. */
  async recordedPids(): Promise<{ routers: number[]; instances: number[] }> {
    const where = await (await this.inspect()).where();
    return {
      routers: where.flatMap((entry) => (entry.router ? [entry.router.pid] : [])),
      instances: where.flatMap((entry) => entry.instances.flatMap((i) => (i.pid ? [i.pid] : []))),
    };
  }

  /**
   * Stops everything this project started: CLI processes still running, then `tandem down --force`.
   * Anything still running afterwards (recorded in the store, or writing its log under the project
   * directory) is killed, and reported as an error: `down --force` must stop it all.
   */
  async cleanup(): Promise<void> {
    await Promise.all(this.processes.filter((p) => p.running).map((p) => p.kill("SIGKILL").catch(() => {})));
    // Without a state directory nothing was ever started.
    const started = existsSync(join(this.dir, ".tandem"));
    const recorded = started
      ? await this.recordedPids().catch(() => ({ routers: [], instances: [] }))
      : { routers: [], instances: [] };
    let down: CliResult | undefined;
    if (started) {
      down = await this.cli(["down", "--force"], { timeoutMs: 30_000 }).catch(() => undefined);
    }
    const suspects = new Set([
      ...recorded.routers,
      ...recorded.instances,
      ...processesLoggingUnder(this.dir),
    ]);
    const leftovers = [...suspects].filter((pid) => killLeftoverNodeProcess(pid));
    await this.orchestrator?.close().catch(() => undefined);
    this.orchestrator = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    if (leftovers.length > 0) {
      const detail = down
        ? describeRun(["down", "--force"], down)
        : "tandem down --force did not run or timed out";
      throw new Error(
        `processes still running after cleanup, now killed: ${leftovers.join(", ")}\n${detail}`,
      );
    }
  }
}

/** Writes `<appDir>/<version>/release.json` for the demo server (see examples/demo/app/server.mjs). */
export function writeAppVersion(
  appDir: string,
  version: string,
  release: { errorRate?: number; latencyMs?: number; healthy?: boolean; healthyAfterMs?: number },
): void {
  mkdirSync(join(appDir, version), { recursive: true });
  writeFileSync(
    join(appDir, version, "release.json"),
    JSON.stringify({ errorRate: 0, latencyMs: 1, healthy: true, healthyAfterMs: 0, ...release }),
  );
}
