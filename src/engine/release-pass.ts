import { knownSecrets, redactSecrets } from "../config/redact.js";
import { formatDuration } from "../core/duration.js";
import {
  isTerminal,
  type RegistryEntry,
  type ReleaseCommand,
  type ReleaseState,
  type RolloutState,
  type TandemEvent,
} from "../core/types.js";
import type { HookRunner } from "../hooks/types.js";
import { rejectionReason } from "./approval.js";
import type { HealthStates } from "./attention.js";
import { applyCommand } from "./commands.js";
import { deriveStatus, isFailure, needsMet, readyToBackOut, skip } from "./coordination.js";
import type { EventDraft, PassContext } from "./pass-context.js";
import { applyDecision, driveReleaseHooks, environmentGate } from "./release-stages.js";
import { reconcileRollout } from "./rollout.js";
import type { ServiceRuntime } from "./runtime.js";
import { drainTargetActions } from "./target-sync.js";
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
  /** Fetched once as each rollout's pass begins (its target's listing is then taken anew). */
  runtime(service: string): ServiceRuntime;
  hooks: HookRunner;
  env: NodeJS.ProcessEnv;
  onRolloutError(rollout: RolloutState, error: unknown): void;
  /**
   * Which waiting rollouts may be left alone (attention.ts): asked only in a pass with no commands and
   * no failure or backing out in the release. Absent: every rollout gets a full pass.
   */
  attention?: RolloutAttention;
}

export interface RolloutAttention {
  quiet(rollout: RolloutState, runtime: ServiceRuntime, now: number, signal: AbortSignal): Promise<boolean>;
  /** Before a full pass: what `record` needs to tell whether the health moved during the pass. */
  observe(runtime: ServiceRuntime): Promise<HealthStates | undefined>;
  record(
    rollout: RolloutState,
    runtime: ServiceRuntime,
    now: number,
    signal: AbortSignal,
    before: HealthStates | undefined,
  ): Promise<void>;
  /** After a pass that threw: the next one is a full pass. */
  forget(service: string): void;
}

/**
 * One reconcile pass over a release: apply requests, then the environment's gate, the pre-release
 * hooks, each rollout in dependency order, the post-release hooks; derive the status. Computes what to
 * write; the caller writes it once (CAS) and only then publishes the events.
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
      data: draft.data && redactedData(draft.data),
    });
  const ctx: PassContext = {
    now: deps.now,
    signal: deps.signal,
    emit,
    hooks: deps.hooks,
    env: deps.env,
    release: {
      id: input.id,
      project: input.project,
      environment: input.environment,
      createdBy: input.createdBy,
    },
  };
  const registry: RegistryEntry[] = [];

  let release = input;
  let rollouts = [...input.rollouts];
  for (const command of deps.commands) {
    if (command.type === "approve" || command.type === "reject") {
      ({ release, rollouts } = applyDecision({ release, rollouts }, command, ctx));
      continue;
    }
    rollouts = rollouts.map((r) =>
      command.service === undefined || command.service === r.service ? applyCommand(r, command, ctx) : r,
    );
  }
  release = { ...release, rollouts };

  const before = await beforeRollouts(release, ctx);
  release = before.release;
  if (before.proceed) {
    release = await moveRollouts(release, deps, ctx, registry);
    release = await afterRollouts(release, ctx);
  }
  if (release.halted) {
    const why = release.halted.reason;
    release = {
      ...release,
      rollouts: release.rollouts.map((r) => (r.status === "pending" ? skip(r, why, ctx) : r)),
    };
  }
  return finish(input, release, deps, ctx, registry, events);
}

/** The environment's approval gate, then the pre-release hooks; `proceed` once both are behind. */
async function beforeRollouts(
  release: ReleaseState,
  ctx: PassContext,
): Promise<{ release: ReleaseState; proceed: boolean }> {
  if (release.halted) return { release, proceed: false };
  const started = release.rollouts.some((r) => r.status !== "pending");
  if (release.rollouts.every((r) => isTerminal(r.status)) && !release.rollouts.some((r) => r.promotedAt)) {
    // Aborted before anything started: a pre-release hook still running is stopped.
    if (release.hooks?.running?.handle) await ctx.hooks.cancel(release.hooks.running.handle);
    return { release, proceed: false };
  }
  if (started) return { release, proceed: true };
  if (release.approval && !release.approval.outcome) {
    release = environmentGate(release, ctx);
    // Undecided, or timed out (the gate then halted the release with its own reason).
    if (!release.approval?.outcome || release.halted) return { release, proceed: false };
  }
  if (release.approval?.outcome === "rejected") {
    const halted = { status: "aborted" as const, reason: rejectionReason(release.approval) };
    return { release: { ...release, halted }, proceed: false };
  }
  const pre = await driveReleaseHooks(release, "pre", ctx);
  if (pre.state === "failed") {
    return { release: { ...pre.release, halted: { status: "failed", reason: pre.reason } }, proceed: false };
  }
  return { release: pre.release, proceed: pre.state === "done" };
}

/** Each rollout in dependency order; a failure makes the others back out (or stop starting). */
async function moveRollouts(
  release: ReleaseState,
  deps: PassDeps,
  ctx: PassContext,
  registry: RegistryEntry[],
): Promise<ReleaseState> {
  const rollouts = [...release.rollouts];
  const policy = release.rollbackPolicy ?? "release";
  // The first failed rollout, kept up to date as rollouts change (not searched for at each one).
  let failureAt = rollouts.findIndex(isFailure);
  const put = (i: number, next: RolloutState) => {
    rollouts[i] = next;
    if (isFailure(next)) {
      if (failureAt < 0 || i < failureAt) failureAt = i;
    } else if (i === failureAt) failureAt = rollouts.findIndex(isFailure);
  };
  for (let i = 0; i < rollouts.length; i++) {
    let rollout = rollouts[i]!;
    const failure = failureAt >= 0 ? rollouts[failureAt] : undefined;
    if (rollout.status === "pending" && (failure || release.backingOut)) {
      const cause = release.backingOut?.cause ?? `${failure!.service} ${failure!.status.replace("_", " ")}`;
      put(i, skip(rollout, cause, ctx));
      continue;
    }
    if (release.backingOut && policy === "release") {
      const reason = `backing out the release: ${release.backingOut.cause}`;
      if (readyToBackOut(rollout, rollouts)) rollout = beginRollback(rollout, reason, "rolled_back", ctx);
      else if (
        !isTerminal(rollout.status) &&
        rollout.phase === "progressing" &&
        rollout.status !== "pending"
      ) {
        rollout = beginRollback(rollout, reason, "rolled_back", ctx);
      }
    }
    if (isTerminal(rollout.status) || (rollout.status === "pending" && !needsMet(rollout, rollouts))) {
      put(i, rollout);
      continue;
    }
    const mayRest = deps.commands.length === 0 && !release.backingOut && !failure;
    const moved = await moveOne(rollout, deps, ctx, mayRest);
    if (moved.status === "succeeded" && rollout.status !== "succeeded") {
      moved.promotedAt = ctx.now;
      registry.push(entry(release, moved.service, moved.version, ctx.now));
    }
    if (
      moved.promotedAt !== undefined &&
      moved.status === "rolled_back" &&
      rollout.status !== "rolled_back"
    ) {
      // A version that had gone live was backed out: the old one is the stable version again, or, for a
      // first release, nothing is (an empty version withdraws the entry).
      registry.push(entry(release, moved.service, moved.stableVersion ?? "", ctx.now));
    }
    put(i, moved);
    if (isFailure(moved) && !isFailure(rollout) && !release.backingOut && policy === "release") {
      release = startBackingOut(
        release,
        rollouts,
        `${moved.service} ${moved.status.replace("_", " ")}${moved.reason ? ` (${moved.reason})` : ""}`,
        ctx,
      );
    }
  }
  return { ...release, rollouts };
}

async function moveOne(
  rollout: RolloutState,
  deps: PassDeps,
  ctx: PassContext,
  mayRest: boolean,
): Promise<RolloutState> {
  // A pass that throws leaves the rollout as it was, so the events it emitted did not happen either.
  const drafts: EventDraft[] = [];
  let runtime: ServiceRuntime | undefined;
  try {
    runtime = deps.runtime(rollout.service);
    if (mayRest && (await deps.attention?.quiet(rollout, runtime, ctx.now, ctx.signal))) return rollout;
    const before = await deps.attention?.observe(runtime);
    const moved = await reconcileRollout(rollout, runtime, {
      ...ctx,
      emit: (e) => drafts.push(e),
    });
    drafts.forEach(ctx.emit);
    drainTargetActions(rollout, runtime, ctx);
    await deps.attention?.record(moved, runtime, ctx.now, ctx.signal, before);
    return moved;
  } catch (error) {
    // The commands a target ran did happen, even in a pass that is thrown away.
    if (runtime) drainTargetActions(rollout, runtime, ctx);
    deps.attention?.forget(rollout.service);
    deps.onRolloutError(rollout, error);
    return failIfStuck(rollout, error, ctx);
  }
}

function startBackingOut(
  release: ReleaseState,
  rollouts: RolloutState[],
  cause: string,
  ctx: PassContext,
): ReleaseState {
  const live = rollouts.filter(
    (r) => r.status === "succeeded" || (!isTerminal(r.status) && r.status !== "pending"),
  );
  const waiting = rollouts.filter((r) => r.status === "pending");
  const undo = [...live].reverse().map((r) => `${r.service} ${r.version} -> ${r.stableVersion ?? "(none)"}`);
  ctx.emit({
    type: "release.rolling_back",
    severity: "error",
    message: `release ${release.id}: ${cause}; ${undo.length > 0 ? `rolling back ${undo.join(", then ")}` : "nothing else to roll back"}${
      waiting.length > 0 ? `; not starting ${waiting.map((r) => r.service).join(", ")}` : ""
    }`,
    data: {
      cause,
      rollingBack: live.map((r) => r.service).reverse(),
      notStarted: waiting.map((r) => r.service),
    },
  });
  return { ...release, backingOut: { cause, at: ctx.now } };
}

/** Post-release hooks once every rollout succeeded; their failure backs the release out (or fails it). */
async function afterRollouts(release: ReleaseState, ctx: PassContext): Promise<ReleaseState> {
  if (release.backingOut || !release.rollouts.every((r) => r.status === "succeeded")) return release;
  const post = await driveReleaseHooks(release, "post", ctx);
  if (post.state !== "failed") return post.release;
  if ((release.rollbackPolicy ?? "release") === "service") {
    return { ...post.release, halted: { status: "failed", reason: post.reason } };
  }
  return startBackingOut(post.release, post.release.rollouts, post.reason, ctx);
}

function finish(
  input: ReleaseState,
  release: ReleaseState,
  deps: PassDeps,
  ctx: PassContext,
  registry: RegistryEntry[],
  events: TandemEvent[],
): PassResult {
  const status = deriveStatus(release);
  const next: ReleaseState = { ...release, status, updatedAt: deps.now };
  if (isTerminal(status) && !isTerminal(input.status)) {
    next.finishedAt = deps.now;
    next.reason =
      release.backingOut?.cause ?? release.halted?.reason ?? release.rollouts.find((r) => r.reason)?.reason;
    ctx.emit({
      type: `release.${status}` as TandemEvent["type"],
      severity: status === "succeeded" ? "info" : "error",
      message: `release ${input.id} ${status.replace("_", " ")}: ${release.rollouts
        .map((r) => `${r.service}@${r.version} ${r.skipped ? "not started" : r.status.replace("_", " ")}`)
        .join(", ")}${next.reason ? ` (${next.reason})` : ""}`,
      data: { status, reason: next.reason },
    });
  }
  return { release: next, events, consumedCommands: deps.commands.map((c) => c.id), registry };
}

/** The data with secrets masked: a copy when a secret was in it, else the data itself (not parsed back). */
function redactedData(data: Record<string, unknown>): Record<string, unknown> {
  // No secret known: nothing to mask, so the data is not serialised here (the store does it once).
  if (knownSecrets().length === 0) return data;
  const json = JSON.stringify(data);
  const clean = redactSecrets(json);
  return clean === json ? data : (JSON.parse(clean) as Record<string, unknown>);
}

function entry(release: ReleaseState, service: string, version: string, at: number): RegistryEntry {
  return {
    project: release.project,
    environment: release.environment,
    service,
    version,
    releaseId: release.id,
    at,
  };
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
