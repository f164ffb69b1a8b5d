import type {
  RegistryEntry,
  ReleaseCommand,
  ReleaseState,
  RolloutState,
  Status,
  TandemEvent,
} from "../core/types.js";
import type { InstanceRecord, RouterRecord } from "./types.js";

/** Small builders for the store conformance suite: plain records with fixed timestamps. */

export const PROJECT = "shop";

export function rollout(service: string, version: string, status: Status = "pending"): RolloutState {
  return {
    service,
    version,
    stableVersion: null,
    status,
    phase: "progressing",
    steps: [
      { type: "setWeight", weight: 25 },
      { type: "pause", duration: 30_000 },
    ],
    stepIndex: 0,
    stepStartedAt: 0,
    weight: 0,
    replicas: { new: 0, stable: 2 },
    desiredReplicas: 2,
    progressDeadline: 600_000,
    pauseTimeout: 86_400_000,
  };
}

export function release(
  id: string,
  options: {
    environment?: string;
    status?: Status;
    createdAt?: number;
    project?: string;
    rollouts?: RolloutState[];
  } = {},
): ReleaseState {
  const createdAt = options.createdAt ?? 1_000;
  return {
    id,
    project: options.project ?? PROJECT,
    environment: options.environment ?? "staging",
    status: options.status ?? "pending",
    revision: 0,
    createdAt,
    updatedAt: createdAt,
    createdBy: "alice",
    services: { api: { target: { type: "sim", replicas: 2 } } },
    rollouts: options.rollouts ?? [rollout("api", "2.0.0")],
  };
}

export function event(
  releaseId: string,
  at: number,
  type: TandemEvent["type"] = "rollout.step_started",
  options: { project?: string; service?: string; data?: Record<string, unknown> } = {},
): TandemEvent {
  const result: TandemEvent = {
    at,
    releaseId,
    project: options.project ?? PROJECT,
    environment: "staging",
    type,
    severity: "info",
    message: `${type} at ${at}`,
  };
  if (options.service !== undefined) result.service = options.service;
  if (options.data !== undefined) result.data = options.data;
  return result;
}

export function command(
  id: string,
  releaseId: string,
  createdAt: number,
  type: ReleaseCommand["type"] = "abort",
): ReleaseCommand {
  return { id, releaseId, type, actor: "bob", reason: "testing", createdAt };
}

export function registryEntry(
  service: string,
  version: string,
  at: number,
  options: { environment?: string; releaseId?: string } = {},
): RegistryEntry {
  return {
    project: PROJECT,
    environment: options.environment ?? "staging",
    service,
    version,
    releaseId: options.releaseId ?? "r1",
    at,
  };
}

export function instance(
  id: string,
  options: { service?: string; version?: string; environment?: string; pid?: number } = {},
): InstanceRecord {
  const result: InstanceRecord = {
    id,
    project: PROJECT,
    environment: options.environment ?? "staging",
    service: options.service ?? "api",
    version: options.version ?? "2.0.0",
    host: "127.0.0.1",
    port: 40_000,
    startedAt: 5_000,
    logFile: `/tmp/tandem/${id}.log`,
  };
  if (options.pid !== undefined) result.pid = options.pid;
  return result;
}

export function routerRecord(service: string, environment = "staging", pid = 4242): RouterRecord {
  return {
    project: PROJECT,
    environment,
    service,
    pid,
    listenHost: "127.0.0.1",
    listenPort: 8080,
    adminPort: 9080,
    token: "secret-token",
    startedAt: 7_000,
  };
}

/** A deep copy, as a second reader of the store would hold it. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}
