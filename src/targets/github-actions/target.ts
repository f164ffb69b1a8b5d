import type { GitHubActionsTargetConfig } from "../../core/config.js";
import { TargetError } from "../../core/errors.js";
import type { Endpoint } from "../../core/types.js";
import type { ProbeResult } from "../../probes/types.js";
import type { InstanceRecord } from "../../store/types.js";
import { oldestFirst } from "../instance-id.js";
import type { Target, TargetActionRecord, TargetContext } from "../types.js";
import { GitHubClient, RateLimitedError, TransientGitHubError, type WorkflowRun } from "./client.js";
import { CREATED_SKEW_MS, matchRun, newCorrelationId, outputsOf } from "./find-run.js";
import {
  type DeploymentRef,
  decodeRef,
  deploymentId,
  encodeRef,
  endpointOfDeployment,
  GITHUB_ACTIONS_HOST,
} from "./record.js";

/** The poll interval grows by this factor after each status request, up to MAX_POLL_INTERVAL_MS. */
const POLL_GROWTH = 1.5;
const MAX_POLL_INTERVAL_MS = 30_000;
/** Real-time bound of the requests sent to cancel a run once the caller's signal is aborted. */
const CANCEL_TIMEOUT_MS = 30_000;

type Kind = "deploy" | "promote" | "rollback";

/** One dispatched run being followed. */
interface Tracked {
  kind: Kind;
  version: string;
  ref: DeploymentRef;
  /** The store record of a deployment (deploy runs only). */
  record?: InstanceRecord;
  nextPollAt: number;
  interval: number;
  last: ProbeResult;
  final?: ProbeResult;
  outputs?: Record<string, string>;
  inflight?: Promise<ProbeResult>;
}

/**
 * Deploys a version by dispatching a `workflow_dispatch` workflow in the service's repository, finds
 * the run it started (by the `tandem_id` input shown in the run name), follows it within GitHub's rate
 * limits, and reads its conclusion and outputs. `start` returns at once with one endpoint standing for
 * the deployment; `check` (run by the health monitor) is pending until the run completes.
 */
export class GitHubActionsTarget implements Target {
  readonly client: GitHubClient;
  private readonly tracked = new Map<string, Tracked>();
  private readonly actions: TargetActionRecord[] = [];

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
    this.tracked.set(record.id, this.newTracked("deploy", version, ref, record));
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
    return this.observe(tracked, signal);
  }

  /** Follows the deployment until its run completes; an abort cancels the run. */
  async follow(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const tracked = await this.track(endpoint);
    if (!tracked) throw new TargetError(`no GitHub Actions deployment is recorded as ${endpoint.id}`);
    return this.followTracked(tracked, signal);
  }

  /** The outputs the deployment's run published (`tandem-output key=value` steps), once it completed. */
  outputs(endpoint: Endpoint): Record<string, string> | undefined {
    return this.tracked.get(endpoint.id)?.outputs;
  }

  /** Cancels runs still going, and forgets the deployments. */
  async stop(endpoints: Endpoint[], _signal: AbortSignal): Promise<void> {
    for (const endpoint of endpoints) {
      const tracked = await this.track(endpoint);
      if (tracked && !tracked.final) await this.cancel(tracked, "stopped");
      this.tracked.delete(endpoint.id);
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
    return this.actions.splice(0);
  }

  private async runToCompletion(kind: Kind, workflow: string, version: string, signal: AbortSignal) {
    const ref = await this.dispatch(kind, workflow, version, signal);
    const result = await this.followTracked(this.newTracked(kind, version, ref), signal);
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
      this.record({ action: kind, version, ok: false, durationMs: this.ctx.clock.now() - begun, message });
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
    this.record({
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

  private newTracked(kind: Kind, version: string, ref: DeploymentRef, record?: InstanceRecord): Tracked {
    const waiting =
      ref.runId === undefined ? `waiting for the run of ${ref.workflow} to appear` : `run ${ref.runId}`;
    return {
      kind,
      version,
      ref,
      record,
      nextPollAt: 0,
      interval: this.config.pollInterval,
      last: { ok: false, pending: true, message: waiting, durationMs: 0 },
    };
  }

  private async track(endpoint: Endpoint): Promise<Tracked | undefined> {
    const known = this.tracked.get(endpoint.id);
    if (known) return known;
    const records = await this.ctx.store.listInstances({ ...this.scope(), version: endpoint.version });
    const record = records.find((r) => r.id === endpoint.id);
    const ref = record && decodeRef(record.logFile);
    if (!record || !ref) return undefined;
    const tracked = this.newTracked("deploy", record.version, ref, record);
    this.tracked.set(record.id, tracked);
    return tracked;
  }

  private async followTracked(tracked: Tracked, signal: AbortSignal): Promise<ProbeResult> {
    try {
      for (;;) {
        const result = await this.observe(tracked, signal);
        if (!result.pending) return result;
        const wake = Math.max(tracked.nextPollAt, this.client.blockedUntil);
        await this.ctx.clock.sleep(Math.max(0, wake - this.ctx.clock.now()), signal);
      }
    } catch (error) {
      if (signal.aborted && !tracked.final) await this.cancel(tracked, "aborted");
      throw error;
    }
  }

  /** One look at the run, unless the poll interval or a rate limit says to wait: then the last answer. */
  private observe(tracked: Tracked, signal: AbortSignal): Promise<ProbeResult> {
    if (tracked.final) return Promise.resolve(tracked.final);
    if (tracked.inflight) return tracked.inflight;
    const now = this.ctx.clock.now();
    if (now < Math.max(tracked.nextPollAt, this.client.blockedUntil)) return Promise.resolve(tracked.last);
    const inflight = this.poll(tracked, signal).finally(() => {
      tracked.inflight = undefined;
    });
    tracked.inflight = inflight;
    return inflight;
  }

  private async poll(tracked: Tracked, signal: AbortSignal): Promise<ProbeResult> {
    const begun = this.ctx.clock.now();
    const took = () => this.ctx.clock.now() - begun;
    let result: ProbeResult;
    try {
      result = await this.pollOnce(tracked, signal, took);
    } catch (error) {
      if (signal.aborted) throw error;
      const message = this.client.redact((error as Error).message);
      if (error instanceof RateLimitedError || error instanceof TransientGitHubError) {
        result = { ok: false, pending: true, message, durationMs: took() };
      } else {
        result = this.conclude(tracked, false, message, took());
      }
    }
    if (result.pending) {
      tracked.last = result;
      tracked.nextPollAt = this.ctx.clock.now() + tracked.interval;
      tracked.interval = Math.min(tracked.interval * POLL_GROWTH, MAX_POLL_INTERVAL_MS);
    }
    return result;
  }

  private async pollOnce(tracked: Tracked, signal: AbortSignal, took: () => number): Promise<ProbeResult> {
    const { ref } = tracked;
    let run: WorkflowRun;
    if (ref.runId === undefined) {
      const found = await this.findRun(ref, signal);
      if (!found) {
        const waited = this.ctx.clock.now() - ref.dispatchedAt;
        if (waited >= this.config.startTimeout) {
          const message =
            `no run of ${ref.workflow} on ${ref.ref} in ${ref.owner}/${ref.repo} appeared within ` +
            `${Math.round(this.config.startTimeout / 1000)}s of the dispatch (tandem_id ${ref.correlationId})`;
          return this.conclude(tracked, false, message, took());
        }
        return {
          ok: false,
          pending: true,
          message: `waiting for the run of ${ref.workflow} to appear`,
          durationMs: took(),
        };
      }
      run = found;
    } else {
      run = await this.client.getRun(ref.runId, signal, false);
    }
    const url = run.html_url;
    if (run.status !== "completed") {
      if (this.ctx.clock.now() - ref.dispatchedAt >= this.config.timeout) {
        await this.cancel(tracked, "timed out");
        const minutes = Math.round(this.config.timeout / 60_000);
        return this.conclude(
          tracked,
          false,
          `run ${run.id} did not complete within ${minutes}m; cancelled: ${url}`,
          took(),
        );
      }
      return {
        ok: false,
        pending: true,
        message: `run ${run.id} is ${run.status}: ${url}`,
        durationMs: took(),
      };
    }
    tracked.outputs = await this.readOutputs(run.id, signal);
    const ok = run.conclusion === "success";
    const message = ok
      ? `run ${run.id} succeeded: ${url}`
      : `run ${run.id} concluded ${run.conclusion}: ${url}`;
    return this.conclude(tracked, ok, message, took());
  }

  /** Looks for the run a dispatch started; remembers (and stores) its id once found. */
  private async findRun(ref: DeploymentRef, signal: AbortSignal): Promise<WorkflowRun | undefined> {
    const runs = await this.client.listRuns(
      ref.workflow,
      { branch: ref.ref, createdSince: ref.dispatchedAt - CREATED_SKEW_MS },
      signal,
      false,
    );
    const match = matchRun(runs, { ...ref, claimed: await this.claimedRuns(ref.correlationId) });
    if (!match) return undefined;
    if (match.by === "newest") {
      this.ctx.log.warn(
        "took the newest run of the workflow: its run name shows no tandem_id (see run-name)",
        {
          workflow: ref.workflow,
          run: match.run.id,
        },
      );
    }
    ref.runId = match.run.id;
    ref.htmlUrl = match.run.html_url;
    const tracked = [...this.tracked.values()].find((t) => t.ref === ref);
    if (tracked?.record) {
      tracked.record = { ...tracked.record, logFile: encodeRef(ref) };
      await this.ctx.store.putInstance(tracked.record);
    }
    return match.run;
  }

  /** Run ids other deployments of this project already took (the fallback match must not take them). */
  private async claimedRuns(except: string): Promise<Set<number>> {
    const records = await this.ctx.store.listInstances({ project: this.ctx.project });
    const claimed = new Set<number>();
    for (const record of records) {
      const ref = decodeRef(record.logFile);
      if (ref?.runId !== undefined && ref.correlationId !== except) claimed.add(ref.runId);
    }
    for (const tracked of this.tracked.values()) {
      if (tracked.ref.runId !== undefined && tracked.ref.correlationId !== except)
        claimed.add(tracked.ref.runId);
    }
    return claimed;
  }

  private async readOutputs(runId: number, signal: AbortSignal): Promise<Record<string, string>> {
    try {
      return outputsOf(await this.client.listJobs(runId, signal, true));
    } catch (error) {
      if (signal.aborted) throw error;
      this.ctx.log.warn("could not read the run's outputs", {
        run: runId,
        error: this.client.redact(String(error)),
      });
      return {};
    }
  }

  private conclude(tracked: Tracked, ok: boolean, message: string, durationMs: number): ProbeResult {
    const safe = this.client.redact(message);
    tracked.final = { ok, message: safe, durationMs };
    const outputs = tracked.outputs && Object.keys(tracked.outputs).length > 0 ? tracked.outputs : undefined;
    const output = [tracked.ref.htmlUrl, outputs && `outputs: ${JSON.stringify(outputs)}`]
      .filter(Boolean)
      .join("\n");
    this.record({
      action: "workflow",
      version: tracked.version,
      ok,
      durationMs: this.ctx.clock.now() - tracked.ref.dispatchedAt,
      message: `${tracked.kind} ${tracked.ref.workflow}: ${safe}`,
      ...(output ? { output: this.client.redact(output) } : {}),
    });
    this.ctx.log[ok ? "info" : "warn"]("workflow run finished", { kind: tracked.kind, message: safe });
    return tracked.final;
  }

  /** Cancels the run (finding it first if need be), with a signal of its own: the caller's may be aborted. */
  private async cancel(tracked: Tracked, reason: string): Promise<void> {
    const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
    const begun = this.ctx.clock.now();
    const { ref } = tracked;
    try {
      if (ref.runId === undefined) await this.findRun(ref, signal);
      if (ref.runId === undefined) {
        this.record({
          action: "cancel",
          version: tracked.version,
          ok: false,
          durationMs: this.ctx.clock.now() - begun,
          message: `${reason}: the run of ${ref.workflow} (tandem_id ${ref.correlationId}) was not found; nothing to cancel`,
        });
        return;
      }
      const outcome = await this.client.cancelRun(ref.runId, signal);
      this.record({
        action: "cancel",
        version: tracked.version,
        ok: true,
        durationMs: this.ctx.clock.now() - begun,
        message: `${reason}: run ${ref.runId} ${outcome === "cancelling" ? "cancelled" : "had already completed"}`,
        ...(ref.htmlUrl ? { output: ref.htmlUrl } : {}),
      });
    } catch (error) {
      const message = this.client.redact(`${reason}: cancelling the run failed: ${(error as Error).message}`);
      this.record({
        action: "cancel",
        version: tracked.version,
        ok: false,
        durationMs: this.ctx.clock.now() - begun,
        message,
      });
      this.ctx.log.warn("could not cancel the workflow run", { message });
    }
  }

  private record(action: TargetActionRecord): void {
    this.actions.push({ ...action, message: this.client.redact(action.message) });
  }

  private scope(): { project: string; environment: string; service: string } {
    return { project: this.ctx.project, environment: this.ctx.environment, service: this.ctx.service };
  }
}
