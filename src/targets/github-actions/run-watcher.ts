import type { GitHubActionsTargetConfig } from "../../core/config.js";
import type { ProbeResult } from "../../probes/types.js";
import type { InstanceRecord } from "../../store/types.js";
import type { TargetActionRecord, TargetContext } from "../types.js";
import { type GitHubClient, RateLimitedError, TransientGitHubError, type WorkflowRun } from "./client.js";
import { CREATED_SKEW_MS, matchRun, outputsOf } from "./find-run.js";
import { type DeploymentRef, decodeRef, encodeRef } from "./record.js";

/** The poll interval grows by this factor after each status request, up to MAX_POLL_INTERVAL_MS. */
const POLL_GROWTH = 1.5;
const MAX_POLL_INTERVAL_MS = 30_000;
/** Real-time bound of the requests sent to cancel a run once the caller's signal is aborted. */
const CANCEL_TIMEOUT_MS = 30_000;

export type Kind = "deploy" | "promote" | "rollback";

/** One dispatched run being followed. */
export interface Tracked {
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
 * Follows dispatched runs: finds each run (by its tandem_id), polls it with a growing interval and
 * within the client's rate limits, reads its conclusion and outputs, cancels it. Records what it did.
 */
export class RunWatcher {
  /** Deployments by endpoint id. */
  readonly tracked = new Map<string, Tracked>();
  readonly actions: TargetActionRecord[] = [];

  constructor(
    private readonly config: GitHubActionsTargetConfig,
    private readonly ctx: TargetContext,
    private readonly client: GitHubClient,
  ) {}

  newTracked(kind: Kind, version: string, ref: DeploymentRef, record?: InstanceRecord): Tracked {
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

  async follow(tracked: Tracked, signal: AbortSignal): Promise<ProbeResult> {
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
  observe(tracked: Tracked, signal: AbortSignal): Promise<ProbeResult> {
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
      const found = await this.findRun(tracked, signal);
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
  private async findRun(tracked: Tracked, signal: AbortSignal): Promise<WorkflowRun | undefined> {
    const { ref } = tracked;
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
    if (tracked.record) {
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
  async cancel(tracked: Tracked, reason: string): Promise<void> {
    const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
    const begun = this.ctx.clock.now();
    const { ref } = tracked;
    try {
      if (ref.runId === undefined) await this.findRun(tracked, signal);
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
      // A run that had already completed (an old version's deployment, stopped) needs no event.
      if (outcome === "already completed") return;
      this.record({
        action: "cancel",
        version: tracked.version,
        ok: true,
        durationMs: this.ctx.clock.now() - begun,
        message: `${reason}: run ${ref.runId} cancelled`,
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

  record(action: TargetActionRecord): void {
    this.actions.push({ ...action, message: this.client.redact(action.message) });
  }
}
