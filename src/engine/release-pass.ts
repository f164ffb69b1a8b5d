import { redactSecrets } from "../config/redact.js";
import { formatDuration } from "../core/duration.js";
import {
  isTerminal,
  type RegistryEntry,
  type ReleaseCommand,
  type ReleaseState,
  type RolloutState,
  type TandemEvent,
} from "../core/types.js";
import { applyCommand } from "./commands.js";
import type { EventDraft, PassContext } from "./pass-context.js";
import { reconcileRollout } from "./rollout.js";
import type { ServiceRuntime } from "./runtime.js";
import { deriveReleaseStatus } from "./status.js";
import { beginRollback } from "./transitions.js";

export interface PassResult {
  release: ReleaseState;
  events: TandemEvent[];
  consumedCommands: string[];
  registry: RegistryEntry[];
}

export interface PassDeps {
  now: number;
  signal: AbortSignal;
  commands: ReleaseCommand[];
  runtime(service: string): ServiceRuntime;
  onRolloutError(rollout: RolloutState, error: unknown): void;
}

/**
 * One reconcile pass over a release: apply requests, move each rollout, derive the release status.
 * Computes what to write; the caller writes it once (CAS) and only then publishes the events.
 */
export async function reconcileRelease(input: ReleaseState, deps: PassDeps): Promise<PassResult> {
  const events: TandemEvent[] = [];
  // Probe and command output can echo configuration values: events never carry a secret.
  const emit = (draft: EventDraft) =>
    events.push({
      at: deps.now,
      releaseId: input.id,
      project: input.project,
      environment: input.environment,
      severity: "info",
      ...draft,
      message: redactSecrets(draft.message),
      data: draft.data && (JSON.parse(redactSecrets(JSON.stringify(draft.data))) as Record<string, unknown>),
    });
  const ctx: PassContext = { now: deps.now, signal: deps.signal, emit };

  let rollouts = [...input.rollouts];
  for (const command of deps.commands) {
    rollouts = rollouts.map((r) =>
      command.service === undefined || command.service === r.service ? applyCommand(r, command, ctx) : r,
    );
  }

  const registry: RegistryEntry[] = [];
  const next: RolloutState[] = [];
  for (const rollout of rollouts) {
    if (!dependenciesDone(rollout, rollouts, input)) {
      next.push(rollout);
      continue;
    }
    // A pass that throws leaves the rollout as it was, so the events it emitted did not happen either.
    const drafts: EventDraft[] = [];
    let moved: RolloutState;
    try {
      moved = await reconcileRollout(rollout, deps.runtime(rollout.service), {
        ...ctx,
        emit: (e) => drafts.push(e),
      });
      drafts.forEach(emit);
    } catch (error) {
      deps.onRolloutError(rollout, error);
      moved = failIfStuck(rollout, error, ctx);
    }
    if (moved.status === "succeeded" && rollout.status !== "succeeded") {
      registry.push({
        project: input.project,
        environment: input.environment,
        service: moved.service,
        version: moved.version,
        releaseId: input.id,
        at: deps.now,
      });
    }
    next.push(moved);
  }

  const status = deriveReleaseStatus(next);
  const release: ReleaseState = { ...input, rollouts: next, status, updatedAt: deps.now };
  if (isTerminal(status) && !isTerminal(input.status)) {
    release.finishedAt = deps.now;
    release.reason = next.find((r) => r.reason)?.reason;
    emit({
      type: `release.${status}` as TandemEvent["type"],
      severity: status === "succeeded" ? "info" : "error",
      message: `release ${input.id} ${status.replace("_", " ")}: ${next
        .map((r) => `${r.service}@${r.version} ${r.status.replace("_", " ")}`)
        .join(", ")}${release.reason ? ` (${release.reason})` : ""}`,
      data: { status, reason: release.reason },
    });
  }
  return { release, events, consumedCommands: deps.commands.map((c) => c.id), registry };
}

/** A rollout waits for the services it depends on (within the same release) to succeed. */
function dependenciesDone(rollout: RolloutState, all: RolloutState[], release: ReleaseState): boolean {
  const spec = release.services[rollout.service] as { dependsOn?: string[] } | undefined;
  const needs = spec?.dependsOn ?? [];
  return needs.every((name) => {
    const dependency = all.find((r) => r.service === name);
    return !dependency || dependency.status === "succeeded";
  });
}

/**
 * An action that throws (a router that cannot start, a store hiccup) is retried on the next pass; when
 * the current step has been stuck past its progress deadline, the rollout rolls back instead.
 */
function failIfStuck(rollout: RolloutState, error: unknown, ctx: PassContext): RolloutState {
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  if (ctx.now <= rollout.stepStartedAt + rollout.progressDeadline) {
    if (message === rollout.lastError) return rollout;
    ctx.emit({
      type: "rollout.action_failed",
      severity: "warning",
      service: rollout.service,
      message: `${rollout.service}: ${message}; retrying until the progress deadline (${formatDuration(
        rollout.stepStartedAt + rollout.progressDeadline - ctx.now,
      )} left)`,
      data: { error: message },
    });
    return { ...rollout, lastError: message };
  }
  if (rollout.phase === "rolling_back") {
    ctx.emit({
      type: "rollout.failed",
      severity: "error",
      service: rollout.service,
      message: `${rollout.service}: rollback could not complete: ${message}`,
    });
    const reason = `${rollout.reason ?? "rolling back"}; then the rollback could not complete: ${message}`;
    return { ...rollout, status: "failed", phase: "completed", finishedAt: ctx.now, reason };
  }
  return beginRollback(rollout, `stuck past the progress deadline: ${message}`, "failed", ctx);
}
