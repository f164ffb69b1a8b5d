import type { Octokit } from "@octokit/rest";
import { redactSecrets } from "../../config/redact.js";
import type { Clock } from "../../core/clock.js";
import { TargetError } from "../../core/errors.js";
import type { Logger } from "../../core/types.js";

/** The fields of a workflow run Tandem reads (GitHub sends many more). */
export interface WorkflowRun {
  id: number;
  name?: string | null;
  display_title?: string;
  status: string | null;
  conclusion: string | null;
  html_url: string;
  created_at: string;
  event?: string;
  head_branch?: string | null;
  workflow_id?: number;
}

export interface WorkflowJob {
  id: number;
  name: string;
  steps?: { name: string; status: string; conclusion: string | null; number: number }[];
}

export interface GitHubClientOptions {
  owner: string;
  repo: string;
  token: string;
  baseUrl: string;
  clock: Clock;
  log: Logger;
  /** Real-time limit of one HTTP request. Default 30s. */
  requestTimeout?: number;
}

/** The API said "not now": no request may be sent before `until` (clock time, ms). */
export class RateLimitedError extends TargetError {
  constructor(readonly until: number) {
    super(`GitHub API rate limit reached; waiting until ${new Date(until).toISOString()}`);
  }
}

/** A failure worth retrying later (5xx, network): the deployment is not failed by it. */
export class TransientGitHubError extends TargetError {}

/** Consecutive rate-limited answers after which a waiting call gives up. */
const MAX_LIMITED_ANSWERS = 20;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** plugin-retry waits (n+1)² times this in real time before retry n: 200 ms, then 800 ms. */
const RETRY_BASE_MS = 200;
/** Retries of the idempotent calls whose failure no later poll repeats (reading outputs, cancelling). */
const RETRIES = 2;
/** Only 5xx and network failures are retried: every 4xx is an answer (429 is the throttling plugin's). */
const DO_NOT_RETRY = Array.from({ length: 100 }, (_, i) => 400 + i);

type Headers = Record<string, string | number | undefined>;
interface HttpFailure {
  status: number;
  message?: string;
  response?: { headers?: Headers; data?: unknown };
}
/** Per-request options Octokit passes through to its plugins (and to the throttle callbacks). */
interface RequestOptions {
  signal: AbortSignal;
  retries: number;
  /** Called by the throttle callbacks when this request was refused by a rate limit. */
  onLimit: (retryAfterSeconds: number) => void;
}

/**
 * The GitHub REST calls of the github-actions target, through Octokit with its throttling and retry
 * plugins. The throttling plugin recognises GitHub's refusals (primary limit: 403/429 with
 * `x-ratelimit-remaining: 0`; secondary limit: its message, `retry-after` or a minute) and says how
 * long to wait; it is told never to retry itself, since it would sleep in real time. Instead the client
 * records `blockedUntil` on the injected clock, sends nothing before it, and a blocked call either
 * waits on that clock (`wait: true`) or throws RateLimitedError at once so the engine reschedules.
 * The token never appears in an error message or a log line.
 */
export class GitHubClient {
  private octokit?: Promise<Octokit>;
  private blocked = 0;

  constructor(private readonly options: GitHubClientOptions) {}

  /** Octokit, loaded on first use: the CLI starts without it when no service deploys through GitHub. */
  private api(): Promise<Octokit> {
    this.octokit ??= Promise.all([
      import("@octokit/rest"),
      import("@octokit/plugin-throttling"),
      import("@octokit/plugin-retry"),
      import("bottleneck"),
    ]).then(([{ Octokit }, { throttling }, { retry }, { default: Bottleneck }]) => {
      const limited = (retryAfter: number, request: { request?: Partial<RequestOptions> }) => {
        request.request?.onLimit?.(retryAfter);
        return false;
      };
      // The plugin spaces writes 1 s apart (search 2 s, notifications 3 s) in real time by default;
      // those would be real-time waits inside a reconcile pass. Concurrency stays limited.
      const unspaced = () => new Bottleneck.Group({ maxConcurrent: 1 });
      return new (Octokit.plugin(throttling, retry))({
        auth: this.options.token,
        baseUrl: this.options.baseUrl,
        userAgent: "tandem-deploy",
        log: { debug() {}, info() {}, warn() {}, error() {} },
        throttle: {
          onRateLimit: limited,
          onSecondaryRateLimit: limited,
          write: unspaced(),
          search: unspaced(),
          notifications: unspaced(),
        },
        retry: { retries: 0, doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: RETRY_BASE_MS },
      }) as unknown as Octokit;
    });
    return this.octokit;
  }

  /** Clock time before which no request is sent (0: none pending). */
  get blockedUntil(): number {
    return this.blocked;
  }

  async dispatch(workflow: string, ref: string, inputs: Record<string, string>, signal: AbortSignal) {
    await this.call(
      `dispatch ${workflow} on ${ref}`,
      (octokit, request) =>
        octokit.rest.actions.createWorkflowDispatch({
          ...this.repo(),
          workflow_id: workflow,
          ref,
          inputs,
          request,
        }),
      signal,
      true,
    );
  }

  async listRuns(
    workflow: string,
    filter: { branch: string; createdSince: number },
    signal: AbortSignal,
    wait: boolean,
  ): Promise<WorkflowRun[]> {
    const created = `>=${new Date(filter.createdSince).toISOString().replace(/\.\d{3}Z$/, "Z")}`;
    const data = await this.call(
      `list runs of ${workflow}`,
      (octokit, request) =>
        octokit.rest.actions.listWorkflowRuns({
          ...this.repo(),
          workflow_id: workflow,
          event: "workflow_dispatch",
          branch: filter.branch,
          created,
          per_page: 100,
          request,
        }),
      signal,
      wait,
    );
    return (data as { workflow_runs: WorkflowRun[] }).workflow_runs;
  }

  async getRun(runId: number, signal: AbortSignal, wait: boolean): Promise<WorkflowRun> {
    const data = await this.call(
      `get run ${runId}`,
      (octokit, request) => octokit.rest.actions.getWorkflowRun({ ...this.repo(), run_id: runId, request }),
      signal,
      wait,
    );
    return data as WorkflowRun;
  }

  async listJobs(runId: number, signal: AbortSignal, wait: boolean): Promise<WorkflowJob[]> {
    const data = await this.call(
      `list jobs of run ${runId}`,
      (octokit, request) =>
        octokit.rest.actions.listJobsForWorkflowRun({
          ...this.repo(),
          run_id: runId,
          per_page: 100,
          request,
        }),
      signal,
      wait,
      RETRIES,
    );
    return (data as { jobs: WorkflowJob[] }).jobs;
  }

  /** Cancels a run; a run that already completed (409) is not an error. */
  async cancelRun(runId: number, signal: AbortSignal): Promise<"cancelling" | "already completed"> {
    try {
      await this.call(
        `cancel run ${runId}`,
        (octokit, request) =>
          octokit.rest.actions.cancelWorkflowRun({ ...this.repo(), run_id: runId, request }),
        signal,
        true,
        RETRIES,
      );
      return "cancelling";
    } catch (error) {
      if ((error as { status?: number }).status === 409) return "already completed";
      throw error;
    }
  }

  /** Redacts the token (and every registered secret) from text bound for errors, logs and events. */
  redact(text: string): string {
    return redactSecrets(text.split(this.options.token).join("***"));
  }

  private repo(): { owner: string; repo: string } {
    return { owner: this.options.owner, repo: this.options.repo };
  }

  private async call<T>(
    what: string,
    send: (octokit: Octokit, request: RequestOptions) => Promise<{ data: T; headers: Headers }>,
    signal: AbortSignal,
    wait: boolean,
    retries = 0,
  ): Promise<T> {
    for (let limited = 0; ; limited++) {
      const now = this.options.clock.now();
      if (now < this.blocked) {
        if (!wait || limited >= MAX_LIMITED_ANSWERS) throw new RateLimitedError(this.blocked);
        this.options.log.info("waiting for the GitHub API rate limit to reset", {
          until: new Date(this.blocked).toISOString(),
        });
        await this.options.clock.sleep(this.blocked - now, signal);
      }
      signal.throwIfAborted();
      const timeout = AbortSignal.timeout(this.options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS);
      let refusedFor: number | undefined;
      const request: RequestOptions = {
        signal: AbortSignal.any([signal, timeout]),
        retries,
        onLimit: (retryAfter) => {
          refusedFor = retryAfter;
        },
      };
      try {
        const response = await send(await this.api(), request);
        this.noteSpent(response.headers);
        return response.data;
      } catch (error) {
        signal.throwIfAborted();
        if (refusedFor !== undefined) {
          this.block(refusedFor * 1000, (error as HttpFailure).status);
          continue;
        }
        const failure = error as HttpFailure;
        throw this.failed(what, failure, typeof failure.status === "number" ? failure.status : undefined);
      }
    }
  }

  private block(ms: number, status: number): void {
    const until = this.options.clock.now() + ms;
    this.blocked = Math.max(this.blocked, until);
    this.options.log.warn("GitHub API rate limit reached", { until: new Date(until).toISOString(), status });
  }

  /**
   * The throttling plugin only reads the headers of refused requests (plugin-throttling
   * dist-src/index.js, its retryLimiter "failed" handler); a success that spent the last request of
   * the budget must block the next calls too, or the next one is refused. `x-ratelimit-reset` is a
   * wall-clock instant (epoch seconds), measured against Date.now() as the plugin does, plus its 1 s.
   */
  private noteSpent(headers: Headers): void {
    if (String(headers["x-ratelimit-remaining"]) !== "0") return;
    const reset = Number(headers["x-ratelimit-reset"]) * 1000;
    if (!Number.isFinite(reset)) return;
    const until = this.options.clock.now() + Math.max(reset - Date.now(), 0) + 1_000;
    this.blocked = Math.max(this.blocked, until);
  }

  private failed(what: string, failure: HttpFailure, status: number | undefined): TargetError {
    const body = failure.response?.data as { message?: string } | undefined;
    const detail = this.redact(body?.message ?? failure.message ?? String(failure));
    const where = `${this.options.owner}/${this.options.repo}`;
    // A 429 the throttling plugin did not recognise as a rate limit is still GitHub saying "later".
    if (status === undefined || status >= 500 || status === 429) {
      return new TransientGitHubError(
        `GitHub ${what} in ${where} failed: ${status ?? "no answer"}: ${detail}`,
      );
    }
    const hints: Record<number, string> = {
      401: `the token is missing, expired or revoked: check target.token (e.g. \${env:GITHUB_TOKEN})`,
      403: "the token may lack the actions: write permission on this repository",
      404: "check target.owner, repo and workflow (file name such as deploy.yml, or its id), and that the token can see the repository",
      422: "the workflow must have a workflow_dispatch trigger declaring the inputs version, environment and tandem_id (and every extra input), and ref must exist",
    };
    const error = new TargetError(`GitHub ${what} in ${where} failed: ${status}: ${detail}`, {
      hint: hints[status],
    });
    return Object.assign(error, { status });
  }
}
