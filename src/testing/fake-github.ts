import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fail, iso, jobsOf, readBody, reply, seconds } from "./fake-github-http.js";

/**
 * A fake GitHub REST API on loopback, for tests of the github-actions target (and users' own tests):
 * workflow dispatches, workflow runs that go queued → in_progress → completed on a script the test
 * controls, cancellation, jobs whose step names carry outputs, and GitHub's rate limits (403 with
 * `x-ratelimit-remaining: 0`, or 429 with `retry-after`). Every request is recorded.
 */

export interface FakeWorkflow {
  /** File name, e.g. `deploy.yml`; also reachable by its numeric `id`. */
  file: string;
  id?: number;
  name?: string;
  /** Inputs the workflow declares (all required). Default version, environment, tandem_id. */
  inputs?: string[];
  /** Whether the workflow has `run-name: Deploy ${{ inputs.version }} [${{ inputs.tandem_id }}]`. Default true. */
  runName?: boolean;
}

export interface FakeDispatch {
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  at: number;
  /** The run it created, once created. */
  runId?: number;
}

/** What happens to the run a dispatch starts. Times are ms of the fake's clock, from the dispatch. */
export interface FakeRunScript {
  /** No run is ever created (a dispatch GitHub accepted but never ran). */
  never?: boolean;
  /** Before the run appears at all. Default 0. */
  appearAfter?: number;
  /** Queued this long once it appeared. Default 0. */
  queuedFor?: number;
  /** In progress this long, then completed. Default 0. */
  runFor?: number;
  /** In progress until the test calls `complete` (or the run is cancelled); `runFor` is ignored. */
  hold?: boolean;
  /** Default success. */
  conclusion?: string;
  /** Published as steps named `tandem-output key=value`. */
  outputs?: Record<string, string>;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
  /** Answered with a rate-limit refusal (403 or 429). */
  limited: boolean;
}

interface Run {
  id: number;
  repo: string;
  workflow: Required<FakeWorkflow>;
  title: string;
  event: string;
  branch: string;
  createdAt: number;
  queuedFor: number;
  runFor?: number;
  conclusion: string;
  outputs: Record<string, string>;
  /** Set by `complete` or a cancel: wins over the script. */
  override?: { conclusion: string; at: number };
}

export interface FakeGitHubOptions {
  /** Requests must carry `Authorization: token <token>` or `Bearer <token>`. */
  token: string;
  /** `owner/repo` → workflows. Branches default to main. */
  repos: Record<string, { workflows: FakeWorkflow[]; branches?: string[] }>;
  /** The fake's clock (ms). Default Date.now; give a ManualClock's `now` for virtual time. */
  now?: () => number;
  /** The script of each dispatch's run. Default: appears at once, succeeds at once. */
  script?: (dispatch: FakeDispatch) => FakeRunScript;
}

const LIMIT = 5000;
const DOCS = "https://docs.github.com/rest";
const DEFAULT_INPUTS = ["version", "environment", "tandem_id"];

export class FakeGitHub {
  readonly requests: FakeRequest[] = [];
  readonly dispatches: FakeDispatch[] = [];
  private readonly runs: Run[] = [];
  private readonly pending: {
    dispatch: FakeDispatch;
    script: FakeRunScript;
    workflow: Required<FakeWorkflow>;
  }[] = [];
  private nextRunId = 7_000_000_001;
  private remaining = LIMIT;
  private resetAt: number;
  private throttledUntil = 0;
  private failures: { status: number; path?: RegExp }[] = [];
  private throttling = { status: 429, retryAfter: true };
  private readonly now: () => number;

  private constructor(
    private readonly options: FakeGitHubOptions,
    private readonly server: Server,
    readonly url: string,
  ) {
    this.now = options.now ?? Date.now;
    this.resetAt = this.now() + 3_600_000;
  }

  static async start(options: FakeGitHubOptions): Promise<FakeGitHub> {
    let fake: FakeGitHub | undefined;
    const server = createServer((req, res) => {
      fake?.handle(req, res).catch((error) => reply(res, 500, { message: String(error) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeGitHub(options, server, `http://127.0.0.1:${port}`);
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Another run of a workflow (someone else's dispatch, a push…), created now unless said otherwise. */
  addRun(run: {
    repo: string;
    workflow: string;
    title: string;
    event?: string;
    branch?: string;
    createdAt?: number;
    /** In progress this long after createdAt; absent: until `complete`. */
    runFor?: number;
    conclusion?: string;
  }): number {
    const id = this.nextRunId++;
    this.runs.push({
      id,
      repo: run.repo,
      workflow: this.workflow(run.repo, run.workflow) ?? fail(`unknown workflow ${run.workflow}`),
      title: run.title,
      event: run.event ?? "workflow_dispatch",
      branch: run.branch ?? "main",
      createdAt: run.createdAt ?? this.now(),
      queuedFor: 0,
      runFor: run.runFor,
      conclusion: run.conclusion ?? "success",
      outputs: {},
    });
    return id;
  }

  /** Ends a run now with this conclusion. */
  complete(runId: number, conclusion: string): void {
    const run = this.runs.find((r) => r.id === runId) ?? fail(`no run ${runId}`);
    run.override = { conclusion, at: this.now() };
  }

  /** The run a dispatch created (by its tandem_id input), as the API shows it; undefined before it exists. */
  runOf(tandemId: string): Record<string, unknown> | undefined {
    this.materialise();
    const dispatch = this.dispatches.find((d) => d.inputs.tandem_id === tandemId);
    const run = this.runs.find((r) => r.id === dispatch?.runId);
    return run && this.view(run);
  }

  /** The next `after` requests succeed (the last shows remaining 0); then 403 until `resetAt`. */
  exhaustRateLimit(options: { resetAt: number; after?: number }): void {
    this.remaining = options.after ?? 0;
    this.resetAt = options.resetAt;
  }

  /** The next requests answer these server errors (e.g. [502, 503]), one each, before anything else. */
  failNext(...statuses: number[]): void {
    this.failures.push(...statuses.map((status) => ({ status })));
  }

  /** The next requests whose path matches answer these server errors, one each; others pass. */
  failNextOn(path: RegExp, ...statuses: number[]): void {
    this.failures.push(...statuses.map((status) => ({ status, path })));
  }

  /**
   * Every request before `until` is refused by a secondary rate limit: 429 with `retry-after` by
   * default, or as GitHub also does, 403 (`status: 403`) and without `retry-after` (`retryAfter: false`).
   */
  throttle(until: number, options: { status?: 403 | 429; retryAfter?: boolean } = {}): void {
    this.throttledUntil = until;
    this.throttling = { status: options.status ?? 429, retryAfter: options.retryAfter ?? true };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const at = this.now();
    const request: FakeRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      at,
      limited: false,
    };
    this.requests.push(request);
    const body = await readBody(req);
    const send = (status: number, data?: unknown, headers: Record<string, string> = {}) => {
      request.status = status;
      reply(res, status, data, { ...this.limitHeaders(), ...headers });
    };
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${this.options.token}` && auth !== `Bearer ${this.options.token}`) {
      return send(401, { message: "Bad credentials", documentation_url: DOCS });
    }
    const failing = this.failures.findIndex((f) => !f.path || f.path.test(url.pathname));
    if (failing >= 0) {
      const [failure] = this.failures.splice(failing, 1);
      return send(failure!.status, { message: "Server Error", documentation_url: DOCS });
    }
    if (at < this.throttledUntil) {
      request.limited = true;
      const retryAfter = String(Math.ceil((this.throttledUntil - at) / 1000));
      return send(
        this.throttling.status,
        {
          message:
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
          documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
        },
        this.throttling.retryAfter ? { "retry-after": retryAfter } : {},
      );
    }
    if (at >= this.resetAt) {
      this.remaining = LIMIT;
      this.resetAt = at + 3_600_000;
    }
    if (this.remaining <= 0) {
      request.limited = true;
      return send(403, {
        message: "API rate limit exceeded for user ID 1.",
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
      });
    }
    this.remaining--;
    this.materialise();
    const [status, data] = this.route(request.method, url, body);
    send(status, data);
  }

  private route(method: string, url: URL, body: unknown): [number, unknown] {
    const notFound: [number, unknown] = [404, { message: "Not Found", documentation_url: DOCS }];
    const path = /^\/repos\/([^/]+)\/([^/]+)\/actions\/(.+)$/.exec(url.pathname);
    if (!path) return notFound;
    const repo = `${decodeURIComponent(path[1]!)}/${decodeURIComponent(path[2]!)}`;
    if (!this.options.repos[repo]) return notFound;
    const rest = path[3]!;
    let match = /^workflows\/([^/]+)\/(dispatches|runs)$/.exec(rest);
    if (match) {
      const workflow = this.workflow(repo, decodeURIComponent(match[1]!));
      if (!workflow) return notFound;
      if (match[2] === "dispatches" && method === "POST") return this.dispatch(repo, workflow, body);
      if (match[2] === "runs" && method === "GET")
        return [200, this.listRuns(repo, workflow, url.searchParams)];
      return notFound;
    }
    match = /^runs\/(\d+)(\/cancel|\/jobs)?$/.exec(rest);
    const run = match && this.runs.find((r) => r.repo === repo && r.id === Number(match![1]));
    if (!match || !run) return notFound;
    if (!match[2] && method === "GET") return [200, this.view(run)];
    if (match[2] === "/jobs" && method === "GET") return [200, this.jobs(run)];
    if (match[2] === "/cancel" && method === "POST") {
      if (this.status(run).status === "completed") {
        return [409, { message: "Cannot cancel a workflow run that is completed.", documentation_url: DOCS }];
      }
      run.override = { conclusion: "cancelled", at: this.now() };
      return [202, {}];
    }
    return notFound;
  }

  private dispatch(repo: string, workflow: Required<FakeWorkflow>, body: unknown): [number, unknown] {
    const { ref, inputs = {} } = (body ?? {}) as { ref?: string; inputs?: Record<string, string> };
    const branches = this.options.repos[repo]!.branches ?? ["main"];
    const invalid = (message: string): [number, unknown] => [422, { message, documentation_url: DOCS }];
    if (!ref || !branches.includes(ref)) return invalid(`No ref found for: ${ref ?? ""}`);
    const unexpected = Object.keys(inputs).filter((name) => !workflow.inputs.includes(name));
    if (unexpected.length > 0) return invalid(`Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    const missing = workflow.inputs.find((name) => inputs[name] === undefined || inputs[name] === "");
    if (missing) return invalid(`Required input '${missing}' not provided`);
    const dispatch: FakeDispatch = { repo, workflow: workflow.file, ref, inputs, at: this.now() };
    this.dispatches.push(dispatch);
    const script = this.options.script?.(dispatch) ?? {};
    if (!script.never) this.pending.push({ dispatch, script, workflow });
    this.materialise();
    return [204, undefined];
  }

  /** Creates the runs whose time has come. */
  private materialise(): void {
    const now = this.now();
    for (const entry of [...this.pending]) {
      const { dispatch, script, workflow } = entry;
      const createdAt = dispatch.at + (script.appearAfter ?? 0);
      if (now < createdAt) continue;
      this.pending.splice(this.pending.indexOf(entry), 1);
      const { version, tandem_id: tandemId } = dispatch.inputs;
      const id = this.nextRunId++;
      dispatch.runId = id;
      this.runs.push({
        id,
        repo: dispatch.repo,
        workflow,
        title: workflow.runName ? `Deploy ${version} [${tandemId}]` : workflow.name,
        event: "workflow_dispatch",
        branch: dispatch.ref,
        createdAt,
        queuedFor: script.queuedFor ?? 0,
        runFor: script.hold ? undefined : (script.runFor ?? 0),
        conclusion: script.conclusion ?? "success",
        outputs: script.outputs ?? {},
      });
    }
  }

  private status(run: Run): { status: string; conclusion: string | null; updatedAt: number } {
    const now = this.now();
    if (run.override)
      return { status: "completed", conclusion: run.override.conclusion, updatedAt: run.override.at };
    const started = run.createdAt + run.queuedFor;
    if (now < started) return { status: "queued", conclusion: null, updatedAt: run.createdAt };
    if (run.runFor === undefined || now < started + run.runFor) {
      return { status: "in_progress", conclusion: null, updatedAt: started };
    }
    return { status: "completed", conclusion: run.conclusion, updatedAt: started + run.runFor };
  }

  private view(run: Run): Record<string, unknown> {
    const { status, conclusion, updatedAt } = this.status(run);
    return {
      id: run.id,
      name: run.workflow.name,
      display_title: run.title,
      status,
      conclusion,
      event: run.event,
      head_branch: run.branch,
      workflow_id: run.workflow.id,
      run_number: run.id - 7_000_000_000,
      html_url: `https://github.com/${run.repo}/actions/runs/${run.id}`,
      url: `${this.url}/repos/${run.repo}/actions/runs/${run.id}`,
      created_at: iso(run.createdAt),
      updated_at: iso(updatedAt),
    };
  }

  private listRuns(repo: string, workflow: Required<FakeWorkflow>, query: URLSearchParams) {
    const created = /^>=(.+)$/.exec(query.get("created") ?? "");
    const since = created ? Date.parse(created[1]!) : Number.NEGATIVE_INFINITY;
    const perPage = Math.min(Number(query.get("per_page") ?? 30), 100);
    const runs = this.runs
      .filter((r) => r.repo === repo && r.workflow.id === workflow.id)
      .filter((r) => !query.get("event") || r.event === query.get("event"))
      .filter((r) => !query.get("branch") || r.branch === query.get("branch"))
      .filter((r) => seconds(r.createdAt) * 1000 >= since)
      .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
    return { total_count: runs.length, workflow_runs: runs.slice(0, perPage).map((r) => this.view(r)) };
  }

  private jobs(run: Run) {
    const { status, conclusion } = this.status(run);
    return jobsOf(run.id, status, conclusion, status === "completed" ? run.outputs : {});
  }

  private workflow(repo: string, key: string): Required<FakeWorkflow> | undefined {
    const workflows = this.options.repos[repo]?.workflows ?? [];
    const index = workflows.findIndex((w) => w.file === key || String(w.id) === key);
    const found = workflows[index];
    if (!found) return undefined;
    return {
      file: found.file,
      id: found.id ?? 100 + index,
      name: found.name ?? found.file.replace(/\.ya?ml$/, ""),
      inputs: found.inputs ?? DEFAULT_INPUTS,
      runName: found.runName ?? true,
    };
  }

  private limitHeaders(): Record<string, string> {
    return {
      "x-ratelimit-limit": String(LIMIT),
      "x-ratelimit-remaining": String(Math.max(0, this.remaining)),
      "x-ratelimit-used": String(LIMIT - Math.max(0, this.remaining)),
      // Wall-clock epoch seconds, as GitHub's: clients (Octokit's throttling plugin) read it against
      // Date.now(), so on a virtual clock the reset is sent as the wall time that far ahead.
      "x-ratelimit-reset": String(Math.ceil((Date.now() + this.resetAt - this.now()) / 1000)),
      "x-ratelimit-resource": "core",
    };
  }
}
