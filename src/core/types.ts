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

/** What the engine executes. Strategies turn configuration into a list of these. */
export type Step =
  /** Make exactly `replicas` instances of the track run; new instances must pass their probes. */
  | { type: "scale"; track: Track; replicas: number }
  /** Send `weight` percent of traffic to the new version, the rest to the stable one. */
  | { type: "setWeight"; weight: number }
  /** Wait `duration` ms, or until resumed when no duration is given. */
  | { type: "pause"; duration?: number; reason?: string };

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
  rollouts: RolloutState[];
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
  | "rollout.rolling_back"
  | "rollout.succeeded"
  | "rollout.rolled_back"
  | "rollout.aborted"
  | "rollout.failed"
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

export type CommandType = "abort" | "resume" | "rollback" | "promote";

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
