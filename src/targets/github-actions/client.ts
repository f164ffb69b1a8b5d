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

/** GitHub asks to wait at least a minute after a secondary rate limit that names no time. */
const SECONDARY_LIMIT_WAIT_MS = 60_000;
/** A reset a little in the past (clock skew) still waits this long. */
const MIN_LIMIT_WAIT_MS = 1_000;
/** Consecutive rate-limited answers after which a waiting call gives up. */
const MAX_LIMITED_ANSWERS = 20;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

type Headers = Record<string, string | number | undefined>;
interface HttpFailure {
  status: number;
  message?: string;
  response?: { headers?: Headers; data?: unknown };
}

/**
 * The GitHub REST calls of the github-actions target, through Octokit, with GitHub's rate limits kept:
 * a response with `x-ratelimit-remaining: 0` blocks further calls until `x-ratelimit-reset`; a 403/429
 * with `retry-after` or an exhausted limit blocks until then. A blocked call either waits on the
 * injected clock (`wait: true`) or throws RateLimitedError at once, sending nothing. The token never
 * appears in an error message or a log line.
 */
export class GitHubClient {
  private octokit?: Promise<Octokit>;
  private blocked = 0;

  constructor(private readonly options: GitHubClientOptions) {}

  /** Octokit, loaded on first use: the CLI starts without it when no service deploys through GitHub. */
  private api(): Promise<Octokit> {
    this.octokit ??= import("@octokit/rest").then(
      ({ Octokit }) =>
        new Octokit({
          auth: this.options.token,
          baseUrl: this.options.baseUrl,
          userAgent: "tandem-deploy",
          log: { debug() {}, info() {}, warn() {}, error() {} },
        }),
    );
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
    send: (octokit: Octokit, request: { signal: AbortSignal }) => Promise<{ data: T; headers: Headers }>,
    signal: AbortSignal,
    wait: boolean,
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
      try {
        const response = await send(await this.api(), { signal: AbortSignal.any([signal, timeout]) });
        this.noteLimit(response.headers, undefined);
        return response.data;
      } catch (error) {
        signal.throwIfAborted();
        const failure = error as HttpFailure;
        const status = typeof failure.status === "number" ? failure.status : undefined;
        const said = (failure.response?.data as { message?: string } | undefined)?.message ?? "";
        if (status !== undefined && this.noteLimit(failure.response?.headers ?? {}, status, said)) continue;
        throw this.failed(what, failure, status);
      }
    }
  }

  /** Reads the rate-limit headers; true when this answer was a refusal to wait out. */
  private noteLimit(headers: Headers, status: number | undefined, message = ""): boolean {
    const now = this.options.clock.now();
    const retryAfter = Number(headers["retry-after"]);
    const remaining = headers["x-ratelimit-remaining"];
    const reset = Number(headers["x-ratelimit-reset"]) * 1000;
    let until = 0;
    if (Number.isFinite(retryAfter) && retryAfter >= 0 && headers["retry-after"] !== undefined) {
      until = now + Math.max(retryAfter * 1000, MIN_LIMIT_WAIT_MS);
    } else if (String(remaining) === "0" && Number.isFinite(reset)) {
      until = Math.max(reset, now + MIN_LIMIT_WAIT_MS);
    } else if (status === 429 || (status === 403 && /secondary rate limit/i.test(message))) {
      until = now + SECONDARY_LIMIT_WAIT_MS;
    }
    const refused = status === 403 || status === 429;
    if (until > 0 && (status === undefined || refused)) {
      this.blocked = Math.max(this.blocked, until);
      if (refused) {
        this.options.log.warn("GitHub API rate limit reached", {
          until: new Date(until).toISOString(),
          status,
        });
      }
    }
    return refused && until > 0;
  }

  private failed(what: string, failure: HttpFailure, status: number | undefined): TargetError {
    const body = failure.response?.data as { message?: string } | undefined;
    const detail = this.redact(body?.message ?? failure.message ?? String(failure));
    const where = `${this.options.owner}/${this.options.repo}`;
    if (status === undefined || status >= 500) {
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
