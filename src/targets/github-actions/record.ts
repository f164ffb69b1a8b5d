import type { Endpoint } from "../../core/types.js";
import type { InstanceRecord } from "../../store/types.js";
import { safeSegment } from "../instance-id.js";

/** Host of every github-actions endpoint: nothing listens there, the deployment is a workflow run. */
export const GITHUB_ACTIONS_HOST = "github-actions";
const PREFIX = "github-actions:";

/**
 * What Tandem remembers of one deployment, stored in the instance record's `logFile` column as
 * `github-actions:<json>` (a run has no log file), so a restarted engine adopts the run.
 */
export interface DeploymentRef {
  owner: string;
  repo: string;
  workflow: string;
  ref: string;
  correlationId: string;
  dispatchedAt: number;
  /** Known once the run was found. */
  runId?: number;
  htmlUrl?: string;
}

/** One endpoint per environment, service and version: `gha-<environment>-<service>-<version>`. */
export function deploymentId(environment: string, service: string, version: string): string {
  return `gha-${safeSegment(environment)}-${safeSegment(service)}-${safeSegment(version)}`;
}

export function encodeRef(ref: DeploymentRef): string {
  return `${PREFIX}${JSON.stringify(ref)}`;
}

/** The deployment a record describes, or undefined when the record is not one of ours. */
export function decodeRef(logFile: string): DeploymentRef | undefined {
  if (!logFile.startsWith(PREFIX)) return undefined;
  try {
    const ref = JSON.parse(logFile.slice(PREFIX.length)) as DeploymentRef;
    return typeof ref.correlationId === "string" && typeof ref.dispatchedAt === "number" ? ref : undefined;
  } catch {
    return undefined;
  }
}

export function endpointOfDeployment(record: InstanceRecord): Endpoint {
  return {
    id: record.id,
    version: record.version,
    host: record.host,
    port: record.port,
    startedAt: record.startedAt,
  };
}
