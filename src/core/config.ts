import type { AnalysisRef, AnalysisTemplateConfig } from "./analysis.js";
import type { ApprovalSpec, HookSpec } from "./types.js";

/**
 * The validated, normalised configuration (what `loadConfig` returns). Durations are milliseconds.
 * The zod schema in src/config/ parses YAML into exactly these types; defaults are documented here.
 */

export interface ProbeTiming {
  /** Wait before the first check. Default 0. */
  initialDelay: number;
  /** Time between checks. Default 1s. */
  period: number;
  /** A check that takes longer fails. Default 1s. */
  timeout: number;
  /** Consecutive failures after which the instance is considered failed. Default 3. */
  failureThreshold: number;
  /** Consecutive successes after which the instance is considered ready. Default 1. */
  successThreshold: number;
}

export type ProbeConfig = ProbeTiming & { name: string } & (
    | {
        type: "http";
        path: string;
        /** Port to probe; default the instance's own port. */
        port?: number;
        /** Accepted status range, inclusive. Default [200, 399]. */
        status: [number, number];
        /** A regular expression the body must match. */
        body?: string;
        headers: Record<string, string>;
      }
    | { type: "tcp"; port?: number }
    | { type: "exec"; command: string[]; env: Record<string, string> }
    | { type: "grpc"; port?: number; service: string }
  );

export type TargetConfig =
  | {
      type: "process";
      /** argv; `${version}` is replaced. Run without a shell. */
      command: string[];
      /** Working directory, relative to the config file; `${version}` is replaced. */
      cwd?: string;
      env: Record<string, string>;
      replicas: number;
      /** Time between SIGTERM and SIGKILL when stopping an instance. Default 10s. */
      stopTimeout: number;
    }
  | {
      type: "sim";
      replicas: number;
      /** Virtual time an instance takes to start. Default 0. */
      startupTime: number;
      /** Versions whose instances report unhealthy (for tests and the simulator). */
      unhealthyVersions: string[];
    }
  | CommandTargetConfig
  | GitHubActionsTargetConfig;

/**
 * A service deployed by the user's own commands (docker compose, ssh, kubectl, terraform…). Each command
 * is an argv run without a shell (or, with `shell: true`, one string run by /bin/sh -c); placeholders
 * `${version}`, `${stableVersion}`, `${environment}`, `${service}`, `${weight}`, `${replicas}`.
 */
export interface CommandTargetConfig {
  type: "command";
  /** Deploys `${version}` (run in the background; the rollout waits for it). Required. */
  deploy: string[];
  /** Sends the new version's share of traffic (`${weight}`, percent) to the user's own router. */
  setWeight?: string[];
  /** Makes `${version}` the live version once its rollout completed (`${stableVersion}`: the one retired). */
  promote?: string[];
  /** After a rollback: `${version}` was rolled back, `${stableVersion}` is live again ("" when none). */
  rollback?: string[];
  /** Removes the deployment of `${version}`. */
  teardown?: string[];
  /** Health of the deployment of `${version}`, run every probe period once deployed: exit 0 is healthy. */
  status?: string[];
  /** Run each command as one string with /bin/sh -c; placeholders become environment variables. Default false. */
  shell: boolean;
  /** Working directory of every command, relative to the config file. Default: the config file's directory. */
  cwd?: string;
  env: Record<string, string>;
  /** Timeout of `deploy`. Default 10m. */
  deployTimeout: number;
  /** Timeout of every other command. Default 30s. */
  timeout: number;
  /** Where the deployment serves, when a Tandem router should send traffic to it. Default 127.0.0.1:0. */
  endpoint?: { host: string; port: number };
  /** A deployment stands for the whole version: always 1. */
  replicas: 1;
}

/**
 * A service deployed by a `workflow_dispatch` workflow in its own repository (see
 * src/targets/github-actions/). Durations are milliseconds.
 */
export interface GitHubActionsTargetConfig {
  type: "github-actions";
  owner: string;
  repo: string;
  /** Workflow file name (`deploy.yml`) or numeric id, as a string. */
  workflow: string;
  /** Branch or tag the workflow runs on. Default `main`. */
  ref: string;
  /** Extra inputs; `${version}` and `${environment}` are replaced. Default none. */
  inputs: Record<string, string>;
  /** A token allowed to dispatch and cancel runs (usually `${env:GITHUB_TOKEN}`); never logged. */
  token: string;
  /** Default `https://api.github.com`; GitHub Enterprise: `https://HOST/api/v3`. */
  baseUrl: string;
  /** A dispatched run that does not appear within this long fails. Default 2m. */
  startTimeout: number;
  /** First wait between status requests, growing to 30s. Default 5s. */
  pollInterval: number;
  /** A run still going after this long is cancelled and fails. Default 30m. */
  timeout: number;
  /** Dispatched with the stable version after a rollback. Optional. */
  rollbackWorkflow?: string;
  /** Dispatched when a rollout completes. Optional. */
  promoteWorkflow?: string;
  /** A deployment stands for the whole version: always 1. */
  replicas: 1;
}

export type RouterConfig =
  | {
      type: "builtin";
      /** Port the router listens on for the service's traffic. */
      listen: number;
      /** Listen address. Default 127.0.0.1. */
      host: string;
      /** How long a request waits for an endpoint when none is up (recreate). Default 30s. */
      holdTimeout: number;
      /** How many requests may wait at once; more get 503. Default 1000. */
      holdMaxRequests: number;
      /**
       * A second port serving only the version being released (every endpoint of it that passed its
       * probes), while the main port still serves the stable version: try a blue-green preview or a
       * canary before it takes real traffic. No preview listener when absent.
       */
      previewListen?: number;
    }
  | NginxRouterConfig
  | { type: "none" };

/** A service's own nginx master (see src/routers/nginx/): weights become split_clients percentages. */
export interface NginxRouterConfig {
  type: "nginx";
  /** Port nginx listens on for the service's traffic. */
  listen: number;
  /** Listen address. Default 127.0.0.1. */
  host: string;
  /** The nginx binary. Default: `nginx` on PATH, else /usr/sbin/nginx or /usr/local/sbin/nginx. */
  nginx?: string;
  /** nginx `worker_processes`: a count or "auto" (one per CPU). Default 1. */
  workerProcesses: number | "auto";
  /**
   * Milliseconds nginx keeps an idle client connection (`keepalive_timeout`). Default 0: every response
   * closes its connection, because a reload closes idle keep-alive connections of the old workers and a
   * client that reuses one at that instant (and does not retry) sees a reset.
   */
  clientKeepalive: number;
  /** A second port serving only the version being released. No preview listener when absent. */
  previewListen?: number;
}

/** An amount of replicas: a count, or a percentage of the desired replicas. */
export interface Amount {
  value: number;
  percent: boolean;
}

export type CanaryStepConfig = (
  | { setWeight: number }
  | { pause: { duration?: number; auto?: boolean } }
  | { approval: ApprovalConfig }
  | { analysis: AnalysisRef }
  | { hook: HookConfig }
) & { name?: string };

/** See ApprovalSpec in core/types.ts (the same fields, defaults applied). */
export type ApprovalConfig = ApprovalSpec;
/** See HookSpec in core/types.ts. */
export type HookConfig = HookSpec;

export interface HooksConfig {
  /** Run in order before anything moves. */
  pre: HookConfig[];
  /** Run in order after everything else succeeded; a failure rolls back. */
  post: HookConfig[];
}

/** `api`, or `{ service: api, step: half }` to start once api finished its step named `half`. */
export interface DependencyConfig {
  service: string;
  step?: string;
}

export type StrategyConfig =
  | {
      type: "canary";
      steps: CanaryStepConfig[];
      progressDeadline: number;
      /** Background analysis: runs from the first setWeight to the end of the rollout. */
      analysis?: AnalysisRef;
    }
  | {
      type: "blueGreen";
      /** Switch automatically after this long with a healthy preview; null waits for `tandem resume`. */
      autoPromote: number | null;
      /** Keep the old stack this long after the switch, for an instant rollback. Default 30s. */
      scaleDownDelay: number;
      progressDeadline: number;
    }
  | {
      type: "rolling";
      batchSize: Amount;
      maxSurge: Amount;
      maxUnavailable: Amount;
      pauseBetweenBatches: number;
      progressDeadline: number;
    }
  | { type: "recreate"; progressDeadline: number };

export interface ServiceConfig {
  name: string;
  target: TargetConfig;
  router: RouterConfig;
  health: ProbeConfig[];
  strategy: StrategyConfig;
  dependsOn: DependencyConfig[];
  hooks: HooksConfig;
  /** A manual pause (`pause: {}` or blue-green without autoPromote) rolls back after this long. Default 24h. */
  pauseTimeout: number;
}

/** A change freeze: a fixed period, or a recurring one (cron start + duration, as Argo CD's sync windows). */
export type FreezeWindow = { name: string; reason?: string } & (
  | { type: "period"; from: number; to: number }
  | { type: "schedule"; schedule: string; duration: number; timezone: string }
);

export interface EnvironmentConfig {
  name: string;
  /** A version may enter this environment only once it succeeded in that one. */
  after?: string;
  /** The gate every release into this environment waits at before anything starts. */
  approval?: ApprovalConfig;
  freeze: FreezeWindow[];
  /** Release-level hooks of this environment (run after the project's). */
  hooks: HooksConfig;
  /** Every service with this environment's overrides merged in. */
  services: Record<string, ServiceConfig>;
}

/** Where the project's state is kept: a SQLite file (the default) or a PostgreSQL database. */
export type StoreConfig = SqliteStoreConfig | PostgresStoreConfig;

export interface SqliteStoreConfig {
  type: "sqlite";
  /** Relative to the config file. Default `.tandem/tandem.db`. */
  path: string;
}

export interface PostgresStoreConfig {
  type: "postgres";
  /** `postgres://user:password@host:port/database`: a secret (it holds the password), never logged. */
  url: string;
}

export interface TandemConfig {
  project: string;
  /** Absolute path of the file this was loaded from (or "<inline>"). */
  file: string;
  /** Directory relative paths resolve against. */
  baseDir: string;
  /** Where logs and state live, absolute. Default `<baseDir>/.tandem`. */
  stateDir: string;
  store: StoreConfig;
  environments: Record<string, EnvironmentConfig>;
  /** The services as written, without any environment's overrides (use `serviceIn` for an environment). */
  services: Record<string, ServiceConfig>;
  /** Default release. */
  rollbackPolicy: "release" | "service";
  /** Release-level hooks of every release. */
  hooks: HooksConfig;
  /** Analysis templates by name (`analysis:`), referred to by canary `analysis` steps. */
  analysis?: Record<string, AnalysisTemplateConfig>;
  /** Notification channels (`notifications:`), delivered through the store's outbox. Default none. */
  notifications: NotificationChannelConfig[];
}

/** Which events a channel receives, and how they are delivered. */
export interface NotificationRouting {
  /** Unique among channels; default the type, then `<type>-2`, `<type>-3`… */
  name: string;
  /** Event types, or prefixes ending in `*` (`rollout.*`, `*`). Default DEFAULT_NOTIFY_ON. */
  on: string[];
  /** Only releases into these environments; empty: all. Default []. */
  environments: string[];
  /** Only events about these services (release-wide events always pass); empty: all. Default []. */
  services: string[];
  /** Only events at least this severe. Default info. */
  minSeverity: "info" | "warning" | "error";
  /**
   * Milliseconds to gather one release's events into one message (a digest); 0 sends each event on
   * its own. The release's final event flushes the digest at once. Default 0.
   */
  digest: number;
  /** One delivery attempt takes at most this long. Default 10s. */
  timeout: number;
  /** Attempts before a delivery is dead (`tandem notifications retry` revives it). Default 8. */
  maxAttempts: number;
  /** Base URL of the dashboard, for links in messages (`<link>/releases/<id>`). Optional. */
  link?: string;
}

export type NotificationChannelConfig = NotificationRouting &
  (
    | { type: "slack" /** Incoming webhook URL. */; url: string }
    | { type: "teams" /** Incoming webhook or Workflows URL. */; url: string }
    | {
        type: "email";
        host: string;
        /** Default 587. */
        port: number;
        /** Implicit TLS from the first byte (port 465). Default false: plain, upgraded by STARTTLS. */
        secure: boolean;
        /** Refuse to send unless the server offers STARTTLS. Default false. */
        requireTLS: boolean;
        /** Accept a server certificate that does not verify (test servers). Default false. */
        insecureTLS: boolean;
        auth?: { user: string; pass: string };
        from: string;
        to: string[];
      }
    | {
        type: "webhook";
        url: string;
        /** HMAC-SHA256 key for the `Tandem-Signature` header; unsigned when absent. */
        secret?: string;
        headers: Record<string, string>;
      }
  );

/** The events a channel receives when its `on` is not given. */
export const DEFAULT_NOTIFY_ON = [
  "release.created",
  "release.succeeded",
  "release.failed",
  "release.rolled_back",
  "release.aborted",
  "rollout.rolled_back",
  "rollout.failed",
  "approval.requested",
  "approval.escalated",
  "approval.timed_out",
] as const;

/** A service as it runs in an environment (its overrides merged). */
export function serviceIn(
  config: TandemConfig,
  environment: string,
  service: string,
): ServiceConfig | undefined {
  return config.environments[environment]?.services[service] ?? config.services[service];
}
