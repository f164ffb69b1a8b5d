import type {
  CommandType,
  EventType,
  RegistryEntry,
  ReleaseCommand,
  ReleaseState,
  RolloutState,
  Severity,
  TandemEvent,
  VersionMetadata,
} from "../core/types.js";
import type { InstanceRecord, RouterRecord } from "./types.js";

/** Row shapes as better-sqlite3 returns them, and their conversion to Tandem records. */

export interface ReleaseRow {
  id: string;
  revision: number;
  /** The release's own fields (rollouts and services are stored in their own rows). */
  state: string;
}

/** A release from its row, its services' configuration (JSON) and its rollouts' (JSON, in order). */
export function releaseFromRows(
  row: ReleaseRow,
  services: string | undefined,
  rollouts: string[],
): ReleaseState {
  const header = JSON.parse(row.state) as Omit<ReleaseState, "rollouts" | "services">;
  // Not a spread: a spread site that sees many shapes (Node 20's V8) gives each object a hidden class
  // of its own, and every later copy of the release (a pass's `{ ...release, ... }`) another one.
  const release = Object.assign({}, header) as ReleaseState;
  // The column is authoritative: it is what the CAS compares against.
  release.revision = row.revision;
  if (services !== undefined) release.services = JSON.parse(services) as Record<string, unknown>;
  release.rollouts = rollouts.map((state) => JSON.parse(state) as RolloutState);
  return release;
}

export interface EventRow {
  seq: number;
  at: number;
  release_id: string;
  project: string;
  environment: string;
  service: string | null;
  type: string;
  severity: string;
  message: string;
  data: string | null;
}

export function eventFromRow(row: EventRow): TandemEvent {
  const event: TandemEvent = {
    seq: row.seq,
    at: row.at,
    releaseId: row.release_id,
    project: row.project,
    environment: row.environment,
    type: row.type as EventType,
    severity: row.severity as Severity,
    message: row.message,
  };
  if (row.service !== null) event.service = row.service;
  if (row.data !== null) event.data = JSON.parse(row.data) as Record<string, unknown>;
  return event;
}

/** The events table's columns that an insert sets, in the order `fillEventParams` writes them. */
export const EVENT_COLUMNS = [
  "at",
  "release_id",
  "project",
  "environment",
  "service",
  "type",
  "severity",
  "message",
  "data",
] as const;

/** Writes the event's values at `params[offset..]`, in EVENT_COLUMNS order. */
export function fillEventParams(event: TandemEvent, params: unknown[], offset: number): void {
  params[offset] = event.at;
  params[offset + 1] = event.releaseId;
  params[offset + 2] = event.project;
  params[offset + 3] = event.environment;
  params[offset + 4] = event.service ?? null;
  params[offset + 5] = event.type;
  params[offset + 6] = event.severity;
  params[offset + 7] = event.message;
  params[offset + 8] = event.data === undefined ? null : JSON.stringify(event.data);
}

export interface CommandRow {
  id: string;
  release_id: string;
  service: string | null;
  type: string;
  actor: string;
  reason: string | null;
  created_at: number;
  consumed_at: number | null;
  token_id: string | null;
  token_name: string | null;
}

export function commandFromRow(row: CommandRow): ReleaseCommand {
  const command: ReleaseCommand = {
    id: row.id,
    releaseId: row.release_id,
    type: row.type as CommandType,
    actor: row.actor,
    createdAt: row.created_at,
  };
  if (row.service !== null) command.service = row.service;
  if (row.reason !== null) command.reason = row.reason;
  if (row.consumed_at !== null) command.consumedAt = row.consumed_at;
  if (row.token_id !== null) command.token = { id: row.token_id, name: row.token_name ?? "" };
  return command;
}

export interface RegistryRow {
  project: string;
  environment: string;
  service: string;
  version: string;
  release_id: string;
  at: number;
}

export function registryFromRow(row: RegistryRow): RegistryEntry {
  return {
    project: row.project,
    environment: row.environment,
    service: row.service,
    version: row.version,
    releaseId: row.release_id,
    at: row.at,
  };
}

export interface InstanceRow {
  id: string;
  project: string;
  environment: string;
  service: string;
  version: string;
  host: string;
  port: number;
  pid: number | null;
  started_at: number;
  log_file: string;
}

export function instanceFromRow(row: InstanceRow): InstanceRecord {
  const instance: InstanceRecord = {
    id: row.id,
    project: row.project,
    environment: row.environment,
    service: row.service,
    version: row.version,
    host: row.host,
    port: row.port,
    startedAt: row.started_at,
    logFile: row.log_file,
  };
  if (row.pid !== null) instance.pid = row.pid;
  return instance;
}

export interface RouterRow {
  project: string;
  environment: string;
  service: string;
  pid: number;
  listen_host: string;
  listen_port: number;
  admin_port: number;
  token: string;
  started_at: number;
}

export function routerFromRow(row: RouterRow): RouterRecord {
  return {
    project: row.project,
    environment: row.environment,
    service: row.service,
    pid: row.pid,
    listenHost: row.listen_host,
    listenPort: row.listen_port,
    adminPort: row.admin_port,
    token: row.token,
    startedAt: row.started_at,
  };
}

export interface VersionRow {
  project: string;
  service: string;
  version: string;
  provides: string;
  requires: string;
  published_at: number;
  published_by: string;
  source: string;
}

export function versionFromRow(row: VersionRow): VersionMetadata {
  return {
    project: row.project,
    service: row.service,
    version: row.version,
    provides: JSON.parse(row.provides) as Record<string, string>,
    requires: JSON.parse(row.requires) as Record<string, string>,
    publishedAt: row.published_at,
    publishedBy: row.published_by,
    source: row.source as VersionMetadata["source"],
  };
}
