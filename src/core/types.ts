import type { AnalysisRunState, AnalysisSpec } from "./analysis.js";

/** Release and rollout state: everything the engine knows lives in these records, in the store. */

export type Status =
  | "pending"
  | "awaiting_approval"
  | "running"
  | "paused"
  | "succeeded"
  | "failed"
  | "rolled_back"
  | "aborted";

export const TERMINAL_STATUSES: readonly Status[] = ["succeeded", "failed", "rolled_back", "aborted"];

export function isTerminal(status: Status): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Which set of instances a step acts on: the version being released, or the one it replaces. */
export type Track = "new" | "stable";

/** A command run by a `hook` step or a pre/post hook: argv without a shell unless `shell` is true. */
export interface HookSpec {
  /** For people and events; defaults to the program's name. */
  name: string;
  /** argv (`${version}`, `${stableVersion}`, `${environment}`, `${service}`, `${release}` are replaced). With `shell: true`, one string given to `sh -c`. */
  command: string[];
  shell: boolean;
  /** Killed (and failed) after this long. Default 5m. */
  timeout: number;
  /** Relative to the config file. */
  cwd?: string;
  env: Record<string, string>;
}

/** Who must approve, how many, and what happens when nobody does in time. */
export interface ApprovalSpec {
  /** Approvals needed. Default 1. */
  required: number;
  /** Who may approve; anyone when empty. */
  approvers: string[];
  /** Whether the person who started the release may approve it. Default false. */
  allowSelfApproval: boolean;
  /** Default 24h. */
  timeout: number;
  /** `reject` ends the wait as a rejection; `escalate` notifies `escalateTo` once and waits `timeout` again. */
  onTimeout: "reject" | "escalate";
  escalateTo: string[];
}

/** What the engine executes. Strategies turn configuration into a list of these. `name` lets a dependent wait for it. */
export type Step =
  /** Make exactly `replicas` instances of the track run; new instances must pass their probes. */
  (
    | { type: "scale"; track: Track; replicas: number }
    /** Send `weight` percent of traffic to the new version, the rest to the stable one. */
    | { type: "setWeight"; weight: number }
    /**
     * Wait `duration` ms, or until resumed when no duration is given. `auto`: end early once every
     * comparison of the background analysis decided "not worse".
     */
    | { type: "pause"; duration?: number; reason?: string; auto?: boolean }
    /** Measure and judge metrics at each interval; a failed analysis rolls back (README "Analysis"). */
    | { type: "analysis"; analysis: AnalysisSpec }
    /** Wait for people to approve (or reject: the rollout rolls back). */
    | { type: "approval"; approval: ApprovalSpec }
    /** Run a command; its failure rolls the rollout back. `stage` says where it came from. */
    | { type: "hook"; hook: HookSpec; stage: "pre" | "step" | "post" }
  ) & { name?: string };

/** A rollout waits for another service of the release to succeed, or (with `step`) to have finished that named step. */
export interface Need {
  service: string;
  step?: string;
}

export interface ApprovalDecision {
  /** Normalised (`normalizeActor`). */
  actor: string;
  decision: "approve" | "reject";
  comment?: string;
  at: number;
  /** The API token the decision came with (none through the CLI or the library). */
  token?: TokenRef;
}

/** An API token as commands and approvals record it: never the secret, only which token. */
export interface TokenRef {
  id: string;
  name: string;
}

/** An approval gate that is open (the environment's, or an `approval` step's). */
export interface GateState {
  spec: ApprovalSpec;
  /** Who started the release (cannot approve unless allowSelfApproval). */
  requestedBy: string;
  requestedAt: number;
  /** When the wait ends (moved once by an escalation). */
  deadline: number;
  escalated: boolean;
  decisions: ApprovalDecision[];
  outcome?: "approved" | "rejected";
}

/** Where a detached hook process can be found again, by this engine or one started after a crash. */
export interface HookHandle {
  id: string;
  pid: number;
  resultFile: string;
  logFile: string;
  startedAt: number;
}

/** A hook that was started: running until `outcome` is set. */
export interface HookRun {
  spec: HookSpec;
  handle?: HookHandle;
  startedAt: number;
  outcome?: "succeeded" | "failed";
  exitCode?: number | null;
  /** The end of its output, for events and people. */
  output?: string;
  finishedAt?: number;
}

export type RolloutPhase = "progressing" | "rolling_back" | "completed";

export interface ProbeFailure {
  probe: string;
  endpoint: string;
  message: string;
  at: number;
}

export interface InstanceCount {
  ready: number;
  total: number;
}

export interface RolloutState {
  service: string;
  version: string;
  /** The version live before this rollout, or null on a service's first release. */
  stableVersion: string | null;
  status: Status;
  phase: RolloutPhase;
  steps: Step[];
  stepIndex: number;
  /** When the current step began; timers are computed from this, so a restart neither resets nor skips them. */
  stepStartedAt: number;
  /** Percent of traffic the router sends to the new version (last applied). */
  weight: number;
  /** Replicas the last scale steps asked for. */
  replicas: { new: number; stable: number };
  /** The replica count the service runs at (target.replicas). */
  desiredReplicas: number;
  progressDeadline: number;
  pauseTimeout: number;
  /** Set while waiting for a person (`tandem resume`). */
  pausedSince?: number;
  pauseReason?: string;
  /** Status to end in when a rollback finishes: rolled_back, aborted or failed. */
  rollbackOutcome?: "rolled_back" | "aborted" | "failed";
  /** Why the rollout failed or was rolled back, for people. */
  reason?: string;
  probeFailure?: ProbeFailure;
  /** Instances seen at the end of the last pass, and how many of them passed their probes. */
  instances?: { new: InstanceCount; stable: InstanceCount };
  /** The last error an action of this rollout hit (retried on every pass until the progress deadline). */
  lastError?: string;
  startedAt?: number;
  finishedAt?: number;
  /** Services of the same release this rollout waits for (from dependsOn and version requirements). */
  needs?: Need[];
  /** The open approval gate while at an `approval` step. */
  gate?: GateState;
  /** The hook of the current `hook` step, once started. */
  hook?: HookRun;
  /** When the new version became the live one (a later coordinated rollback restores the old one). */
  promotedAt?: number;
  /** Never started: the release stopped before this service's turn (its status is then `aborted`). */
  skipped?: boolean;
  /** The run of the current `analysis` step (kept after it ends until the next analysis step starts). */
  analysis?: AnalysisRunState;
  /** The strategy's background analysis, run from the first setWeight to the end of the rollout. */
  backgroundAnalysis?: AnalysisSpec;
  backgroundRun?: AnalysisRunState;
}

export interface ReleaseState {
  id: string;
  project: string;
  environment: string;
  status: Status;
  /** Compare-and-swap revision; every write increments it. */
  revision: number;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  createdBy: string;
  /** Why the release ended the way it did. */
  reason?: string;
  /** The service configuration as it was when the release was created (uninterpolated: no secrets). */
  services: Record<string, unknown>;
  /** In dependency order: a rollout only ever waits for rollouts listed before it. */
  rollouts: RolloutState[];
  /** What happens to services this release already moved when one of its services fails. Default release. */
  rollbackPolicy?: "release" | "service";
  /** The environment's approval gate: nothing starts until it is approved. */
  approval?: GateState;
  /** Release-level hooks: `pre` before any rollout starts, `post` after all succeeded. */
  hooks?: ReleaseHooks;
  /** The release whose versions this one promotes from the previous environment. */
  promotedFrom?: string;
  /** A change freeze this release was allowed through, and why. */
  freezeOverride?: { window: string; reason: string; actor: string };
  /** Set when a failure made the whole release back out (rollbackPolicy: release). */
  backingOut?: { cause: string; at: number };
  /** The release stopped before (or after) its rollouts: a rejected gate, a failed release hook. */
  halted?: { status: "failed" | "aborted"; reason: string };
}

export interface ReleaseHooks {
  pre: HookSpec[];
  post: HookSpec[];
  /** Finished hooks, in order (pre hooks first). */
  done: HookRun[];
  running?: HookRun;
}

export type EventType =
  | "release.created"
  | "release.succeeded"
  | "release.failed"
  | "release.rolled_back"
  | "release.aborted"
  | "rollout.started"
  | "rollout.step_started"
  | "rollout.step_completed"
  | "rollout.scaled"
  | "rollout.weight_changed"
  | "rollout.paused"
  | "rollout.resumed"
  | "rollout.probe_failed"
  | "rollout.deadline_exceeded"
  | "rollout.action_failed"
  | "rollout.target_action"
  | "rollout.rolling_back"
  | "rollout.succeeded"
  | "rollout.rolled_back"
  | "rollout.aborted"
  | "rollout.failed"
  | "rollout.skipped"
  | "release.rolling_back"
  | "release.freeze_overridden"
  | "approval.requested"
  | "approval.granted"
  | "approval.approved"
  | "approval.rejected"
  | "approval.escalated"
  | "approval.timed_out"
  | "hook.started"
  | "hook.succeeded"
  | "hook.failed"
  | "analysis.started"
  | "analysis.measured"
  | "analysis.succeeded"
  | "analysis.failed"
  | "analysis.inconclusive"
  | "analysis.error"
  | "command.accepted"
  | "command.rejected";

export type Severity = "info" | "warning" | "error";

export interface TandemEvent {
  /** Assigned by the store, increasing. */
  seq?: number;
  at: number;
  releaseId: string;
  project: string;
  environment: string;
  service?: string;
  type: EventType;
  severity: Severity;
  message: string;
  data?: Record<string, unknown>;
}

export type CommandType = "abort" | "resume" | "rollback" | "promote" | "approve" | "reject";

/** A request from another process (CLI, API) for the engine to act on at its next pass. */
export interface ReleaseCommand {
  id: string;
  releaseId: string;
  /** Limit the command to one service's rollout; all rollouts when absent. */
  service?: string;
  type: CommandType;
  actor: string;
  reason?: string;
  createdAt: number;
  consumedAt?: number;
  /** The API token that gave the command, when it came through the API. */
  token?: TokenRef;
}

/** The stable version of one service in one environment, set when a rollout succeeds. */
export interface RegistryEntry {
  project: string;
  environment: string;
  service: string;
  version: string;
  releaseId: string;
  at: number;
}

/** What a version offers other services and what it needs of them (published by CI or read from a manifest). */
export interface VersionMetadata {
  project: string;
  service: string;
  version: string;
  /** Capability name -> exact version; a version always provides `<service>: <version>` too. */
  provides: Record<string, string>;
  /** Service or capability name -> semver range (`^2.3`). */
  requires: Record<string, string>;
  publishedAt: number;
  publishedBy: string;
  source: "publish" | "manifest";
}

/** A running instance of a service version, reachable at host:port. */
export interface Endpoint {
  id: string;
  version: string;
  host: string;
  port: number;
  pid?: number;
  startedAt: number;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * `log` with `fields` on every line (a line's own fields win): the release id, the service. One small
 * object (its methods on the prototype, not four closures): an engine keeps a logger per service of
 * every release it drives, thousands at scale. The silent logger stays itself: nothing is written.
 */
export function withFields(log: Logger, fields: Record<string, unknown>): Logger {
  return log === silentLogger ? silentLogger : new FieldsLogger(log, fields);
}

class FieldsLogger implements Logger {
  constructor(
    private readonly log: Logger,
    private readonly fields: Record<string, unknown>,
  ) {}
  debug(message: string, extra?: Record<string, unknown>): void {
    this.log.debug(message, { ...this.fields, ...extra });
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.log.info(message, { ...this.fields, ...extra });
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.log.warn(message, { ...this.fields, ...extra });
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.log.error(message, { ...this.fields, ...extra });
  }
}
