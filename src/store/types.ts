import type {
  Endpoint,
  RegistryEntry,
  ReleaseCommand,
  ReleaseState,
  Status,
  TandemEvent,
  VersionMetadata,
} from "../core/types.js";

/** A process started by the process target, remembered so a restarted engine adopts it. */
export interface InstanceRecord extends Endpoint {
  project: string;
  environment: string;
  service: string;
  logFile: string;
}

/** A router data-plane process, remembered so a restarted engine adopts it. */
export interface RouterRecord {
  project: string;
  environment: string;
  service: string;
  pid: number;
  listenHost: string;
  listenPort: number;
  adminPort: number;
  /** Bearer token for the router's admin API (loopback only). */
  token: string;
  startedAt: number;
}

export interface ReleaseFilter {
  project: string;
  environment?: string;
  service?: string;
  /** Only releases that are not terminal. */
  active?: boolean;
  statuses?: Status[];
  limit?: number;
}

/** Everything one engine pass writes, atomically: the release (CAS on revision) and what goes with it. */
export interface ReleaseWrite {
  release: ReleaseState;
  /** The revision the writer read; the write fails with CasConflictError if the stored one differs. */
  expectedRevision: number;
  events?: TandemEvent[];
  consumedCommands?: string[];
  registry?: RegistryEntry[];
}

export interface EventFilter {
  releaseId?: string;
  project?: string;
  afterSeq?: number;
  limit?: number;
}

export interface Store {
  /** Applies pending migrations. Safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Inserts a new release (revision must be 0) with its first events. */
  createRelease(release: ReleaseState, events: TandemEvent[]): Promise<void>;
  getRelease(id: string): Promise<ReleaseState | undefined>;
  listReleases(filter: ReleaseFilter): Promise<ReleaseState[]>;
  /** CAS write; on success the stored revision is expectedRevision + 1 (and release.revision is set so). */
  writeRelease(write: ReleaseWrite): Promise<void>;

  appendEvents(events: TandemEvent[]): Promise<void>;
  listEvents(filter: EventFilter): Promise<TandemEvent[]>;

  addCommand(command: ReleaseCommand): Promise<void>;
  pendingCommands(releaseId: string): Promise<ReleaseCommand[]>;

  getStable(project: string, environment: string, service: string): Promise<RegistryEntry | undefined>;
  /** Newest first. */
  registryHistory(
    project: string,
    environment: string,
    service?: string,
    limit?: number,
  ): Promise<RegistryEntry[]>;

  /** Stores (or replaces) what a version provides and requires. */
  putVersion(metadata: VersionMetadata): Promise<void>;
  getVersion(project: string, service: string, version: string): Promise<VersionMetadata | undefined>;
  /** Newest published first. */
  listVersions(project: string, service?: string): Promise<VersionMetadata[]>;

  putInstance(instance: InstanceRecord): Promise<void>;
  deleteInstance(id: string): Promise<void>;
  listInstances(filter: {
    project: string;
    environment?: string;
    service?: string;
    version?: string;
  }): Promise<InstanceRecord[]>;

  putRouter(router: RouterRecord): Promise<void>;
  getRouter(project: string, environment: string, service: string): Promise<RouterRecord | undefined>;
  deleteRouter(project: string, environment: string, service: string): Promise<void>;
  listRouters(project: string): Promise<RouterRecord[]>;

  /**
   * Takes or renews the named lease for `holder` until now + ttlMs. Succeeds when the lease is free,
   * expired, already held by `holder`, or held by `stealFrom` (a holder known to be dead).
   */
  acquireLease(
    name: string,
    holder: string,
    ttlMs: number,
    now: number,
    stealFrom?: string,
  ): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  getLease(name: string): Promise<{ holder: string; expiresAt: number } | undefined>;
}
