/** Tandem as a library. The CLI is built on exactly this surface. */

export * from "./analysis/judges/index.js";
export { createProvider, PROVIDER_TYPES } from "./analysis/providers/index.js";
export type * from "./analysis/providers/types.js";
export { assessRun, type RunAssessment, tallyRecord } from "./analysis/run.js";
export type * from "./analysis/types.js";
export * from "./analytics/index.js";
export * from "./audit/index.js";
export {
  configJsonSchema,
  type LoadedConfig,
  loadConfig,
  loadConfigWithRaw,
  parseConfig,
  parseConfigWithRaw,
  redactSecrets,
} from "./config/index.js";
export type * from "./core/analysis.js";
export { resolveAnalysis } from "./core/analysis.js";
export type { Clock } from "./core/clock.js";
export { ManualClock, systemClock } from "./core/clock.js";
export type * from "./core/config.js";
export * from "./core/errors.js";
export type * from "./core/types.js";
export type { EngineOptions, Plugins } from "./engine/engine.js";
export { Engine } from "./engine/engine.js";
export { Dispatcher, type DispatcherOptions } from "./notify/dispatcher.js";
export {
  computeSignature,
  createNotifier,
  NOTIFIER_TYPES,
  NotificationError,
  type NotifierOptions,
  type SeenIds,
  type TandemCloudEvent,
  toCloudEvent,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookRejection,
  WebhookVerificationError,
} from "./notify/index.js";
export { channelsFor, outboxRouting, routes } from "./notify/routing.js";
export type {
  CommandOptions,
  OrchestratorOptions,
  ReleasePlan,
  ReleaseRequest,
  WhereEntry,
} from "./orchestrator.js";
export { currentActor, Orchestrator, parseServiceVersion } from "./orchestrator.js";
export type { Probe, ProbeResult } from "./probes/types.js";
export * from "./registry/index.js";
export type { Router, RouteTable, VersionStats } from "./routers/types.js";
export {
  runSimulation,
  type SimulationRequest,
  type SimulationResult,
} from "./simulation/run-simulation.js";
export { type TrafficSpec, TrafficTrace, type VersionBehaviour } from "./simulation/traffic.js";
export { openStore, SqliteStore } from "./store/index.js";
export type { OutboxDelivery, OutboxRouting, Store } from "./store/types.js";
export { estimateDuration, planSteps } from "./strategies/index.js";
export { GitHubActionsTarget } from "./targets/github-actions/target.js";
export { SimProbe, SimTarget } from "./targets/sim.js";
export type { Target, TargetContext } from "./targets/types.js";
