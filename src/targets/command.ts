import { statSync } from "node:fs";
import path from "node:path";
import type { CommandTargetConfig } from "../core/config.js";
import { TargetError } from "../core/errors.js";
import { isProcessAlive, isProcessGroupAlive } from "../core/process-alive.js";
import type { Endpoint } from "../core/types.js";
import type { ProbeResult } from "../probes/types.js";
import type { InstanceRecord } from "../store/types.js";
import { type CommandResult, programName, runCommand } from "./command-runner.js";
import {
  type DeployFiles,
  deployFiles,
  forgetDeploy,
  readDeployState,
  writeDeployState,
} from "./command-state.js";
import { endpointOf, oldestFirst, safeSegment } from "./instance-id.js";
import type { Target, TargetActionRecord, TargetContext } from "./types.js";

/** Deploys running in this process, by state file: any target object of the same service sees them. */
const running = new Map<string, { controller: AbortController; done: Promise<void> }>();

/**
 * A service deployed by the user's own commands. A version is one deployment, standing as one endpoint:
 * `start` launches `deploy` in the background and returns at once; `check` is pending while it runs,
 * fails when it failed, then runs `status` (if any); `stop` runs `teardown`. Deployments are recorded in
 * the store (adopted by a restarted engine) and the outcome of each deploy in a state file, so a deploy
 * whose engine died before it ended is run again (deploy commands must be safe to repeat).
 */
export class CommandTarget implements Target {
  private readonly actions: TargetActionRecord[] = [];
  /** Whether the last `status` of each version passed, to report only changes. */
  private readonly lastStatus = new Map<string, boolean>();

  constructor(
    private readonly config: CommandTargetConfig,
    private readonly ctx: TargetContext,
  ) {}

  async list(version?: string): Promise<Endpoint[]> {
    const records = await this.ctx.store.listInstances({ ...this.scope(), version });
    return oldestFirst(records).map(endpointOf);
  }

  verify(): void {
    const cwd = this.cwd();
    let isDirectory = false;
    try {
      isDirectory = statSync(cwd).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new TargetError(
        `service "${this.ctx.service}": the command target's directory ${cwd} does not exist`,
        {
          hint: `create it, or fix services.${this.ctx.service}.target.cwd (relative to ${this.ctx.baseDir})`,
        },
      );
    }
  }

  async start(version: string, _count: number, signal: AbortSignal): Promise<Endpoint[]> {
    signal.throwIfAborted();
    if ((await this.list(version)).length > 0) return [];
    const files = this.files(version);
    const record: InstanceRecord = {
      ...this.scope(),
      id: safeSegment(`command-${this.ctx.environment}-${this.ctx.service}-${version}`),
      version,
      host: this.config.endpoint?.host ?? "127.0.0.1",
      port: this.config.endpoint?.port ?? 0,
      startedAt: this.ctx.clock.now(),
      logFile: files.log,
    };
    await this.ctx.store.putInstance(record);
    forgetDeploy(files);
    this.launchDeploy(version, files);
    return [endpointOf(record)];
  }

  async stop(endpoints: Endpoint[], signal: AbortSignal): Promise<void> {
    for (const endpoint of endpoints) {
      const files = this.files(endpoint.version);
      const deploying = running.get(files.state);
      if (deploying) {
        deploying.controller.abort();
        await deploying.done;
      }
      if (this.config.teardown) {
        // A failing teardown is reported (an error event) but never keeps a rollback from finishing.
        await this.run("teardown", this.config.teardown, this.vars(endpoint.version), signal);
      }
      await this.ctx.store.deleteInstance(endpoint.id);
      forgetDeploy(files);
      this.lastStatus.delete(endpoint.version);
    }
  }

  async check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const { version } = endpoint;
    const files = this.files(version);
    const deploy = programName({ command: this.config.deploy, shell: this.config.shell });
    const pending = (message: string): ProbeResult => ({ ok: false, pending: true, message, durationMs: 0 });
    if (running.has(files.state)) return pending(`${deploy} ${version} is still running`);
    const state = readDeployState(files);
    if (state?.phase === "deploying" && state.pid !== undefined && isAlive(state.pid)) {
      return pending(`${deploy} ${version} is still running (pid ${state.pid}, started by another engine)`);
    }
    if (state === undefined || state.phase === "deploying") {
      // Never run for this deployment, or its engine died before it ended: its outcome is unknown.
      this.ctx.log.warn("running deploy again: its earlier run's outcome is unknown", { version });
      this.launchDeploy(version, files);
      return pending(`${deploy} ${version} started again (the outcome of its earlier run is unknown)`);
    }
    if (state.phase === "failed") return { ok: false, message: state.message, durationMs: 0 };
    if (!this.config.status) {
      return { ok: true, message: `${deploy} ${version} succeeded`, durationMs: 0 };
    }
    const result = await this.runOnly("status", this.config.status, this.vars(version), signal);
    if (this.lastStatus.get(version) !== result.ok) this.record("status", version, result);
    this.lastStatus.set(version, result.ok);
    return { ok: result.ok, message: result.message, durationMs: result.durationMs };
  }

  async setWeights(weights: Record<string, number>, signal: AbortSignal): Promise<void> {
    if (!this.config.setWeight) return;
    const versions = Object.keys(weights);
    const stable = (await this.ctx.store.getStable(this.ctx.project, this.ctx.environment, this.ctx.service))
      ?.version;
    // The version being released: the one that is not the registry's stable version (else the last).
    const version =
      stable !== undefined && versions.includes(stable)
        ? (versions.find((v) => v !== stable) ?? stable)
        : versions.at(-1);
    if (version === undefined) return;
    const vars = {
      ...this.vars(version),
      stableVersion: versions.find((v) => v !== version) ?? "",
      weight: String(weights[version] ?? 0),
    };
    await this.runOrThrow("setWeight", this.config.setWeight, vars, signal);
  }

  async promote(version: string, previous: string | undefined, signal: AbortSignal): Promise<void> {
    if (!this.config.promote) return;
    const vars = { ...this.vars(version), stableVersion: previous ?? "" };
    await this.runOrThrow("promote", this.config.promote, vars, signal);
  }

  async rollback(from: string, to: string | undefined, signal: AbortSignal): Promise<void> {
    if (!this.config.rollback) return;
    const vars = { ...this.vars(from), stableVersion: to ?? "" };
    await this.runOrThrow("rollback", this.config.rollback, vars, signal);
  }

  takeActions(): TargetActionRecord[] {
    return this.actions.splice(0);
  }

  private launchDeploy(version: string, files: DeployFiles): void {
    const controller = new AbortController();
    const startedAt = Date.now();
    writeDeployState(files, { phase: "deploying", startedAt });
    const done = (async () => {
      const registry = await this.ctx.store.getStable(
        this.ctx.project,
        this.ctx.environment,
        this.ctx.service,
      );
      const stableVersion = registry?.version && registry.version !== version ? registry.version : "";
      const result = await runCommand(
        {
          ...this.spec("deploy", this.config.deploy, { ...this.vars(version), stableVersion }),
          timeoutMs: this.config.deployTimeout,
          logFile: files.log,
          onSpawn: (pid) => writeDeployState(files, { phase: "deploying", startedAt, pid }),
        },
        controller.signal,
      );
      this.record("deploy", version, result);
      if (controller.signal.aborted) return;
      const { code, message, output } = result;
      const phase = result.ok ? "deployed" : "failed";
      writeDeployState(files, { phase, startedAt, finishedAt: Date.now(), code, message, output });
    })()
      .catch((error: unknown) => {
        const message = `deploy of ${version} failed: ${(error as Error)?.message ?? String(error)}`;
        this.ctx.log.error(message, { version });
        const failed = {
          phase: "failed" as const,
          startedAt,
          finishedAt: Date.now(),
          code: null,
          output: "",
        };
        writeDeployState(files, { ...failed, message });
      })
      .finally(() => running.delete(files.state));
    running.set(files.state, { controller, done });
  }

  private async runOrThrow(
    action: string,
    command: string[],
    vars: Record<string, string>,
    signal: AbortSignal,
  ): Promise<void> {
    const result = await this.run(action, command, vars, signal);
    if (!result.ok) {
      throw new TargetError(`${action} of ${this.ctx.service}@${vars.version}: ${result.message}`, {
        hint: `see the rollout.target_action events (\`tandem status <release>\`) for its output`,
      });
    }
  }

  /** Runs a command and records it as an action (an event). */
  private async run(
    action: string,
    command: string[],
    vars: Record<string, string>,
    signal: AbortSignal,
  ): Promise<CommandResult> {
    const result = await this.runOnly(action, command, vars, signal);
    this.record(action, vars.version, result);
    return result;
  }

  private runOnly(
    action: string,
    command: string[],
    vars: Record<string, string>,
    signal: AbortSignal,
  ): Promise<CommandResult> {
    return runCommand({ ...this.spec(action, command, vars), timeoutMs: this.config.timeout }, signal);
  }

  private spec(action: string, command: string[], vars: Record<string, string>) {
    return { action, command, shell: this.config.shell, vars, env: this.config.env, cwd: this.cwd() };
  }

  private record(action: string, version: string | undefined, result: CommandResult): void {
    const { ok, durationMs, message, output } = result;
    this.actions.push({ action, version, ok, durationMs, message, output });
    const log = ok ? this.ctx.log.info : this.ctx.log.warn;
    log.call(this.ctx.log, `${action}: ${message}`, { service: this.ctx.service, version });
  }

  private vars(version: string): Record<string, string> {
    return { version, environment: this.ctx.environment, service: this.ctx.service, replicas: "1" };
  }

  private files(version: string): DeployFiles {
    return deployFiles(this.ctx.stateDir, this.ctx.environment, this.ctx.service, version);
  }

  private cwd(): string {
    return this.config.cwd === undefined ? this.ctx.baseDir : path.resolve(this.ctx.baseDir, this.config.cwd);
  }

  private scope(): { project: string; environment: string; service: string } {
    return { project: this.ctx.project, environment: this.ctx.environment, service: this.ctx.service };
  }
}

function isAlive(pid: number): boolean {
  return isProcessGroupAlive(pid) || isProcessAlive(pid);
}
