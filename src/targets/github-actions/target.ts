import type { GitHubActionsTargetConfig } from "../../core/config.js";
import { TargetError } from "../../core/errors.js";
import type { Endpoint } from "../../core/types.js";
import type { ProbeResult } from "../../probes/types.js";
import type { InstanceRecord } from "../../store/types.js";
import { oldestFirst } from "../instance-id.js";
import type { Target, TargetActionRecord, TargetContext } from "../types.js";
import { GitHubClient } from "./client.js";
import { newCorrelationId } from "./find-run.js";
import {
  type DeploymentRef,
  decodeRef,
  deploymentId,
  encodeRef,
  endpointOfDeployment,
  GITHUB_ACTIONS_HOST,
} from "./record.js";
import { type Kind, RunWatcher, type Tracked } from "./run-watcher.js";

/**
 * Deploys a version by dispatching a `workflow_dispatch` workflow in the service's repository, finds
 * the run it started (by the `tandem_id` input shown in the run name), follows it within GitHub's rate
 * limits, and reads its conclusion and outputs. `start` returns at once with one endpoint standing for
 * the deployment; `check` (run by the health monitor) is pending until the run completes.
 */
export class GitHubActionsTarget implements Target {
  readonly client: GitHubClient;
  private readonly watcher: RunWatcher;

  constructor(
    private readonly config: GitHubActionsTargetConfig,
    private readonly ctx: TargetContext,
  ) {
    this.client = new GitHubClient({
      owner: config.owner,
      repo: config.repo,
      token: config.token,
      baseUrl: config.baseUrl,
      clock: ctx.clock,
      log: ctx.log,
    });
    this.watcher = new RunWatcher(config, ctx, this.client);
  }

  async list(version?: string): Promise<Endpoint[]> {
    const records = await this.ctx.store.listInstances({ ...this.scope(), version });
    return oldestFirst(records.filter((r) => decodeRef(r.logFile)).map(endpointOfDeployment));
  }

  /** Dispatches the deploy workflow for `version` (once: a version has one deployment; `count` is ignored). */
  async start(version: string, _count: number, signal: AbortSignal): Promise<Endpoint[]> {
    const existing = await this.list(version);
    if (existing.length > 0) return existing.slice(0, 1);
    const ref = await this.dispatch("deploy", this.config.workflow, version, signal);
    const record: InstanceRecord = {
      ...this.scope(),
      id: deploymentId(this.ctx.environment, this.ctx.service, version),
      version,
      host: GITHUB_ACTIONS_HOST,
      port: 0,
      startedAt: ref.dispatchedAt,
      logFile: encodeRef(ref),
    };
    await this.ctx.store.putInstance(record);
    this.watcher.tracked.set(record.id, this.watcher.newTracked("deploy", version, ref, record));
    return [endpointOfDeployment(record)];
  }

  /** Pending while the run is queued or in progress; ok once it succeeded; failed otherwise. Never throws for a failed run. */
  async check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const tracked = await this.track(endpoint);
    if (!tracked) {
      return {
        ok: false,
        message: `no GitHub Actions deployment is recorded as ${endpoint.id}`,
        durationMs: 0,
      };
    }
    return this.watcher.observe(tracked, signal);
  }

  /** Follows the deployment until its run completes; an abort cancels the run. */
  async follow(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const tracked = await this.track(endpoint);
    if (!tracked) throw new TargetError(`no GitHub Actions deployment is recorded as ${endpoint.id}`);
    return this.watcher.follow(tracked, signal);
  }

  /** The outputs the deployment's run published (`tandem-output key=value` steps), once it completed. */
  outputs(endpoint: Endpoint): Record<string, string> | undefined {
    return this.watcher.tracked.get(endpoint.id)?.outputs;
  }

  /** Cancels runs still going, and forgets the deployments. */
  async stop(endpoints: Endpoint[], _signal: AbortSignal): Promise<void> {
    for (const endpoint of endpoints) {
      const tracked = await this.track(endpoint);
      if (tracked && !tracked.final) await this.watcher.cancel(tracked, "stopped");
      this.watcher.tracked.delete(endpoint.id);
      await this.ctx.store.deleteInstance(endpoint.id);
    }
  }

  async promote(version: string, _previous: string | undefined, signal: AbortSignal): Promise<void> {
    if (this.config.promoteWorkflow === undefined) return;
    await this.runToCompletion("promote", this.config.promoteWorkflow, version, signal);
  }

  /** Dispatches `rollbackWorkflow` with the version to go back to; nothing when it is not configured. */
  async rollback(_from: string, to: string | undefined, signal: AbortSignal): Promise<void> {
    if (this.config.rollbackWorkflow === undefined) return;
    if (to === undefined) {
      this.ctx.log.info("no stable version to roll back to; the rollback workflow is not dispatched");
      return;
    }
    await this.runToCompletion("rollback", this.config.rollbackWorkflow, to, signal);
  }

  takeActions(): TargetActionRecord[] {
    return this.watcher.actions.splice(0);
  }

  private async runToCompletion(kind: Kind, workflow: string, version: string, signal: AbortSignal) {
    const ref = await this.dispatch(kind, workflow, version, signal);
    const result = await this.watcher.follow(this.watcher.newTracked(kind, version, ref), signal);
    if (!result.ok) throw new TargetError(`${kind} workflow of ${this.ctx.service}: ${result.message}`);
  }

  private async dispatch(kind: Kind, workflow: string, version: string, signal: AbortSignal) {
    const correlationId = newCorrelationId();
    const inputs: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.config.inputs)) {
      inputs[name] = value
        .replace(/\$\{version\}/g, () => version)
        .replace(/\$\{environment\}/g, () => this.ctx.environment);
    }
    Object.assign(inputs, { version, environment: this.ctx.environment, tandem_id: correlationId });
    const begun = this.ctx.clock.now();
    const where = `${workflow} on ${this.config.ref} in ${this.config.owner}/${this.config.repo}`;
    try {
      await this.client.dispatch(workflow, this.config.ref, inputs, signal);
    } catch (error) {
      const message = this.client.redact(
        `dispatching ${where} for ${version} failed: ${(error as Error).message}`,
      );
      this.watcher.record({
        action: kind,
        version,
        ok: false,
        durationMs: this.ctx.clock.now() - begun,
        message,
      });
      throw error;
    }
    const dispatchedAt = this.ctx.clock.now();
    this.ctx.log.info("dispatched workflow", {
      kind,
      workflow,
      ref: this.config.ref,
      version,
      tandemId: correlationId,
    });
    this.watcher.record({
      action: kind,
      version,
      ok: true,
      durationMs: dispatchedAt - begun,
      message: `dispatched ${where} for ${version} (tandem_id ${correlationId})`,
    });
    return {
      owner: this.config.owner,
      repo: this.config.repo,
      workflow,
      ref: this.config.ref,
      correlationId,
      dispatchedAt,
    } satisfies DeploymentRef;
  }

  private async track(endpoint: Endpoint): Promise<Tracked | undefined> {
    const known = this.watcher.tracked.get(endpoint.id);
    if (known) return known;
    const records = await this.ctx.store.listInstances({ ...this.scope(), version: endpoint.version });
    const record = records.find((r) => r.id === endpoint.id);
    const ref = record && decodeRef(record.logFile);
    if (!record || !ref) return undefined;
    const tracked = this.watcher.newTracked("deploy", record.version, ref, record);
    this.watcher.tracked.set(record.id, tracked);
    return tracked;
  }

  private scope(): { project: string; environment: string; service: string } {
    return { project: this.ctx.project, environment: this.ctx.environment, service: this.ctx.service };
  }
}
