import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { MASK_ENV, MIN_SECRET_LENGTH, maskText } from "../config/mask.js";
import { knownSecrets, redactSecrets } from "../config/redact.js";
import type { TargetConfig } from "../core/config.js";
import { compiledEntry } from "../core/entry.js";
import { TargetError } from "../core/errors.js";
import { isProcessAlive, isProcessGroupAlive } from "../core/process-alive.js";
import type { Endpoint } from "../core/types.js";
import type { InstanceRecord } from "../store/types.js";
import { endpointOf, newInstanceId, oldestFirst, safeSegment, withVersion } from "./instance-id.js";
import { logTail } from "./log-tail.js";
import type { ExitedInstance, Target, TargetContext } from "./types.js";

export type ProcessTargetConfig = Extract<TargetConfig, { type: "process" }>;

const LOOPBACK = "127.0.0.1";
/** How often `stop` looks whether a process group has exited. */
const EXIT_POLL_MS = 25;
/** How long `stop` waits after SIGKILL before giving up on a process group. */
const AFTER_KILL_WAIT_MS = 5_000;
const FREE_PORT_ATTEMPTS = 20;

/**
 * Runs each instance as a local process in its own process group, on a free loopback port given in
 * `PORT`, with its output appended to a log file under the state directory. Instances are recorded in
 * the store, so they outlive the engine and a restarted engine adopts them (`list`).
 */
export class ProcessTarget implements Target {
  private readonly exited: ExitedInstance[] = [];

  constructor(
    private readonly config: ProcessTargetConfig,
    private readonly ctx: TargetContext,
  ) {
    if (config.command.length === 0 || config.command[0] === "") {
      throw new TargetError(`service "${ctx.service}": the process target has an empty command`, {
        hint: `set services.${ctx.service}.target.command to an argv, e.g. [node, server.js]`,
      });
    }
  }

  async list(version?: string): Promise<Endpoint[]> {
    const records = await this.ctx.store.listInstances({ ...this.scope(), version });
    const alive: Endpoint[] = [];
    for (const record of records) {
      if (record.pid !== undefined && isProcessAlive(record.pid)) {
        alive.push(endpointOf(record));
        continue;
      }
      this.ctx.log.info("forgetting an instance that is no longer running", {
        instance: record.id,
        pid: record.pid,
        logFile: record.logFile,
      });
      const tail = redactSecrets(logTail(record.logFile));
      this.exited.push({
        endpoint: endpointOf(record),
        detail: `pid ${record.pid} exited${tail ? `; its log ends: ${tail}` : ""} (${record.logFile})`,
      });
      await this.ctx.store.deleteInstance(record.id);
    }
    return oldestFirst(alive);
  }

  verify(version: string): void {
    const command = this.config.command.map((arg) => withVersion(arg, version));
    this.assertDirectory(this.workingDirectory(version), command);
  }

  takeExited(): ExitedInstance[] {
    return this.exited.splice(0);
  }

  async start(version: string, count: number, signal: AbortSignal): Promise<Endpoint[]> {
    const command = this.config.command.map((arg) => withVersion(arg, version));
    const cwd = this.workingDirectory(version);
    this.assertDirectory(cwd, command);
    const logDir = path.join(
      this.ctx.stateDir,
      "logs",
      safeSegment(this.ctx.environment),
      safeSegment(this.ctx.service),
    );
    mkdirSync(logDir, { recursive: true });

    const known = await this.ctx.store.listInstances({ project: this.ctx.project });
    const takenPorts = new Set(known.map((record) => record.port));
    const started: Endpoint[] = [];
    for (let i = 0; i < count; i++) {
      signal.throwIfAborted();
      const port = await freeLoopbackPort(takenPorts);
      takenPorts.add(port);
      const id = newInstanceId(this.ctx.service, version);
      const logFile = path.join(logDir, `${safeSegment(version)}-${id}.log`);
      const pid = await this.spawnInstance({ id, version, port, command, cwd, logFile });
      const record: InstanceRecord = {
        ...this.scope(),
        id,
        version,
        host: LOOPBACK,
        port,
        pid,
        startedAt: this.ctx.clock.now(),
        logFile,
      };
      await this.ctx.store.putInstance(record);
      this.ctx.log.info("started instance", { instance: id, pid, port, logFile });
      started.push(endpointOf(record));
    }
    return started;
  }

  async stop(endpoints: Endpoint[], signal: AbortSignal): Promise<void> {
    const outcomes = await Promise.allSettled(endpoints.map((endpoint) => this.stopOne(endpoint, signal)));
    const failures = outcomes.filter(
      (outcome): outcome is PromiseRejectedResult => outcome.status === "rejected",
    );
    if (failures.length === 1) throw failures[0]!.reason;
    if (failures.length > 1) {
      const messages = failures.map((failure) =>
        String((failure.reason as Error)?.message ?? failure.reason),
      );
      throw new TargetError(`could not stop ${failures.length} instances: ${messages.join("; ")}`, {
        cause: failures[0]!.reason,
      });
    }
  }

  private async stopOne(endpoint: Endpoint, signal: AbortSignal): Promise<void> {
    const pid = endpoint.pid ?? (await this.findRecord(endpoint.id))?.pid;
    if (pid !== undefined && isInstanceAlive(pid)) {
      signalInstance(pid, "SIGTERM");
      const exited = await waitForExit(pid, this.config.stopTimeout, signal);
      if (!exited) {
        this.ctx.log.warn("instance did not exit after SIGTERM; sending SIGKILL", {
          instance: endpoint.id,
          pid,
          stopTimeout: this.config.stopTimeout,
        });
        signalInstance(pid, "SIGKILL");
        if (!(await waitForExit(pid, AFTER_KILL_WAIT_MS, signal))) {
          throw new TargetError(`instance ${endpoint.id} (pid ${pid}) is still running after SIGKILL`, {
            hint: `look at process group ${pid} (ps -g ${pid}); it may be stuck in the kernel`,
          });
        }
      }
      this.ctx.log.info("stopped instance", { instance: endpoint.id, pid });
    }
    await this.ctx.store.deleteInstance(endpoint.id);
  }

  private async findRecord(id: string): Promise<InstanceRecord | undefined> {
    const records = await this.ctx.store.listInstances(this.scope());
    return records.find((record) => record.id === id);
  }

  private scope(): { project: string; environment: string; service: string } {
    return { project: this.ctx.project, environment: this.ctx.environment, service: this.ctx.service };
  }

  private workingDirectory(version: string): string {
    if (this.config.cwd === undefined) return this.ctx.baseDir;
    return path.resolve(this.ctx.baseDir, withVersion(this.config.cwd, version));
  }

  private assertDirectory(cwd: string, command: string[]): void {
    let isDirectory = false;
    try {
      isDirectory = statSync(cwd).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new TargetError(
        `cannot start ${formatCommand(command)} for service "${this.ctx.service}": working directory ${cwd} does not exist`,
        {
          hint: `create ${cwd}, or fix services.${this.ctx.service}.target.cwd (relative to ${this.ctx.baseDir}; \${version} is replaced by the version)`,
        },
      );
    }
  }

  private async spawnInstance(instance: {
    id: string;
    version: string;
    port: number;
    command: string[];
    cwd: string;
    logFile: string;
  }): Promise<number> {
    const { command, cwd, port, version } = instance;
    const secrets = knownSecrets().filter((secret) => secret.length >= MIN_SECRET_LENGTH);
    const logFd = openSync(instance.logFile, "a");
    let masker: ChildProcess | undefined;
    try {
      writeSync(
        logFd,
        maskText(
          `--- ${new Date().toISOString()} tandem: starting ${this.ctx.service}@${version} (${instance.id}) ` +
            `on ${LOOPBACK}:${port}: ${formatCommand(command)} in ${cwd}\n`,
          secrets,
        ),
      );
      // With secrets in play, the output goes through a detached masker on its way to the log file.
      if (secrets.length > 0) masker = await this.startMasker(instance.logFile, secrets);
      const output = masker?.stdin ?? logFd;
      const child = spawn(command[0]!, command.slice(1), {
        cwd,
        env: {
          ...process.env,
          ...this.config.env,
          PORT: String(port),
          TANDEM_VERSION: version,
          TANDEM_SERVICE: this.ctx.service,
          TANDEM_ENVIRONMENT: this.ctx.environment,
        },
        detached: true,
        stdio: ["ignore", output, output],
      });
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
      // The instance outlives the engine: nothing here may keep the engine alive or crash it later.
      child.removeAllListeners("error");
      child.on("error", () => {});
      child.unref();
      if (child.pid === undefined) throw new Error("the process has no pid");
      return child.pid;
    } catch (error) {
      throw this.cannotStart(command, cwd, error);
    } finally {
      closeSync(logFd);
      // The instance holds the pipe's writing end now; the masker ends when the instance's output does.
      masker?.stdin?.destroy();
      masker?.unref();
    }
  }

  private async startMasker(logFile: string, secrets: string[]): Promise<ChildProcess> {
    const masker = spawn(process.execPath, [compiledEntry(import.meta.url, "./log-masker.js"), logFile], {
      env: { [MASK_ENV]: JSON.stringify(secrets) },
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    await new Promise<void>((resolve, reject) => {
      masker.once("spawn", resolve);
      masker.once("error", reject);
    });
    masker.removeAllListeners("error");
    masker.on("error", () => {});
    masker.stdin?.on("error", () => {});
    return masker;
  }

  private cannotStart(command: string[], cwd: string, error: unknown): TargetError {
    const code = (error as NodeJS.ErrnoException)?.code;
    const what = `cannot start ${formatCommand(command)} in ${cwd} for service "${this.ctx.service}"`;
    if (code === "ENOENT") {
      return new TargetError(`${what}: command "${command[0]}" not found`, {
        cause: error,
        hint:
          "the command runs without a shell: install it or put it on PATH, or give its path " +
          `(a relative path resolves against ${cwd})`,
      });
    }
    if (code === "EACCES") {
      return new TargetError(`${what}: "${command[0]}" is not executable`, {
        cause: error,
        hint: `make it executable (chmod +x ${command[0]}) or run it through its interpreter, e.g. [node, script.js]`,
      });
    }
    return new TargetError(`${what}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      hint: `check services.${this.ctx.service}.target.command and cwd`,
    });
  }
}

function formatCommand(command: string[]): string {
  return JSON.stringify(command);
}

/** Whether the process exists (EPERM: it exists, owned by someone else). */
/** Whether the process, or any process of the group it leads, still runs. */
function isInstanceAlive(pid: number): boolean {
  return isProcessGroupAlive(pid) || isProcessAlive(pid);
}

/** Signals the instance's process group, or the process alone when it does not lead a group. */
function signalInstance(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
}

/** Real-time polling, bounded by `timeoutMs`; true once the process and its group are gone. */
async function waitForExit(pid: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isInstanceAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await delay(Math.min(EXIT_POLL_MS, Math.max(1, deadline - Date.now())), undefined, { signal });
  }
  return true;
}

/** Binds 127.0.0.1:0, reads the port the system chose, closes; skips ports already handed out. */
export async function freeLoopbackPort(taken: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once("error", reject);
      server.listen(0, LOOPBACK, () => {
        const address = server.address();
        const chosen = typeof address === "object" && address ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (port !== 0 && !taken.has(port)) return port;
  }
  throw new TargetError(`no free port found on ${LOOPBACK} after ${FREE_PORT_ATTEMPTS} attempts`);
}
