/**
 * The API's answers as the dashboard reads them. The delivery report's types are the server's own
 * (src/analytics/types.ts has no imports, so the web typecheck can read it; type-only, erased from the
 * bundle); the rest is the subset of src/core/types.ts the pages read (that module reaches Node code).
 */

export type Role = "viewer" | "deployer" | "approver" | "admin";

export interface Whoami {
  name: string;
  actor: string;
  role: Role;
  environments: string[];
  expiresAt?: number;
}

export type Status =
  | "pending"
  | "awaiting_approval"
  | "running"
  | "paused"
  | "succeeded"
  | "failed"
  | "rolled_back"
  | "aborted";

export type Step = (
  | { type: "scale"; track: "new" | "stable"; replicas: number }
  | { type: "setWeight"; weight: number }
  | { type: "pause"; duration?: number; reason?: string; auto?: boolean }
  | { type: "analysis"; analysis: AnalysisSpec }
  | { type: "approval"; approval: unknown }
  | { type: "hook"; hook: { name: string }; stage: string }
) & { name?: string };

export interface MetricSpec {
  name: string;
  successCondition?: string;
  failureCondition?: string;
}

export interface AnalysisSpec {
  templates: string[];
  interval: number;
  count?: number;
  metrics: MetricSpec[];
}

export interface MetricRecord {
  metric: string;
  at: number;
  value?: number;
  verdict: string;
  reason: string;
}

export interface AnalysisRun {
  spec: AnalysisSpec;
  kind: "step" | "background";
  stepIndex?: number;
  history: MetricRecord[];
  phase: string;
  reason?: string;
}

export interface ApprovalDecision {
  actor: string;
  decision: "approve" | "reject";
  comment?: string;
  at: number;
}

export interface Gate {
  requestedBy: string;
  requestedAt: number;
  decisions: ApprovalDecision[];
  outcome?: "approved" | "rejected";
  spec: { required: number };
}

export interface InstanceCount {
  ready: number;
  total: number;
}

export interface Rollout {
  service: string;
  version: string;
  stableVersion: string | null;
  status: Status;
  phase: string;
  steps: Step[];
  stepIndex: number;
  weight: number;
  pausedSince?: number;
  pauseReason?: string;
  reason?: string;
  probeFailure?: { probe: string; endpoint: string; message: string; at: number };
  instances?: { new: InstanceCount; stable: InstanceCount };
  lastError?: string;
  needs?: { service: string; step?: string }[];
  gate?: Gate;
  analysis?: AnalysisRun;
  backgroundRun?: AnalysisRun;
  skipped?: boolean;
}

export interface Release {
  id: string;
  project: string;
  environment: string;
  status: Status;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  createdBy: string;
  reason?: string;
  rollouts: Rollout[];
  approval?: Gate;
  promotedFrom?: string;
}

export interface TandemEvent {
  seq?: number;
  at: number;
  releaseId: string;
  environment: string;
  service?: string;
  type: string;
  severity: "info" | "warning" | "error";
  message: string;
  data?: Record<string, unknown>;
}

export interface WhereEntry {
  environment: string;
  service: string;
  stable?: { version: string; releaseId?: string; at?: number };
  instances: { id: string; version: string; host: string; port: number; pid?: number; startedAt: number }[];
  router?: { pid: number; listenHost: string; listenPort: number; startedAt: number };
  routerProblem?: string;
}

export interface RegistryView {
  project: string;
  environments: {
    environment: string;
    services: { service: string; version: string | null; releaseId?: string; at?: number }[];
    requirements: { consumer: string; requirement: string; range: string; satisfied: boolean }[];
  }[];
}

// The delivery report is the server's own type (type-only: nothing of the server reaches the bundle).
export type { Band, DeliveryReport, Metrics, Spread, Trend, WeekBucket } from "../analytics/types.js";
