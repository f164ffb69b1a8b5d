/**
 * The API's answers as the dashboard reads them (a subset of src/core/types.ts and the report's
 * types, kept here so the browser bundle does not depend on server code).
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

export interface Spread {
  count: number;
  median: number | null;
  p90: number | null;
}

export type Band = "elite" | "high" | "medium" | "low";

export interface Metrics {
  releases: { total: number; succeeded: number; failed: number; rolledBack: number; aborted: number };
  successRate: number | null;
  deploymentFrequency: { deployments: number; perDay: number; perWeek: number };
  leadTime: Spread;
  changeFailureRate: { failures: number; deployments: number; rate: number | null };
  timeToRestore: Spread & { open: { service: string; releaseId: string; openFor: number }[] };
  bands: {
    overall: Band | null;
    deploymentFrequency: Band | null;
    leadTime: Band | null;
    changeFailureRate: Band | null;
    timeToRestore: Band | null;
  };
}

export interface WeekBucket {
  start: number;
  end: number;
  deployments: number;
  failures: number;
  changeFailureRate: number | null;
  leadTimeMedian: number | null;
  timeToRestoreMedian: number | null;
}

export interface Trend {
  weeks: WeekBucket[];
}

export interface DeliveryReport {
  project: string;
  generatedAt: number;
  window: { since: number; until: number; days: number };
  environments: {
    environment: string;
    metrics: Metrics;
    trend: Trend;
    services: { service: string; metrics: Metrics; trend: Trend }[];
  }[];
}
