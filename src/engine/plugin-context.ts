import type { Clock } from "../core/clock.js";
import { type Logger, withFields } from "../core/types.js";
import type { Store } from "../store/types.js";
import type { TargetContext } from "../targets/types.js";

/**
 * What a service's target and router are given (a TargetContext is also a RouterContext), built here
 * alone for the engine and the orchestrator: the project's directories, the store and clock, and a log
 * whose lines carry the environment, the service and, inside a release, its id.
 */
export function pluginContext(
  project: { project: string; stateDir: string; baseDir: string },
  scope: { environment: string; service: string; releaseId?: string },
  shared: { store: Store; clock: Clock; log: Logger },
): TargetContext {
  const { environment, service, releaseId } = scope;
  return {
    project: project.project,
    environment,
    service,
    stateDir: project.stateDir,
    baseDir: project.baseDir,
    store: shared.store,
    clock: shared.clock,
    // Fields built as a literal: an object spread followed by more properties gives each object a
    // hidden class of its own in V8 (Node 20), and an engine keeps one of these per release's service.
    log: withFields(shared.log, releaseId ? { releaseId, environment, service } : { environment, service }),
  };
}
