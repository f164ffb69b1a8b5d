import { isTerminal, type ReleaseCommand, type RolloutState } from "../core/types.js";
import { inconclusiveWait } from "./analysis-step.js";
import { describeStep } from "./describe.js";
import type { PassContext } from "./pass-context.js";
import { beginRollback } from "./transitions.js";

/**
 * Applies a request written to the store by another process (CLI, API) to one rollout. Pure apart from
 * the events it emits: returns the new state.
 */
export function applyCommand(rollout: RolloutState, command: ReleaseCommand, ctx: PassContext): RolloutState {
  const by = `${command.actor}${command.reason ? `: ${command.reason}` : ""}`;
  const reject = (why: string): RolloutState => {
    ctx.emit({
      type: "command.rejected",
      severity: "warning",
      service: rollout.service,
      message: `${command.type} refused for ${rollout.service}: ${why}`,
      data: { command: command.type, actor: command.actor },
    });
    return rollout;
  };
  if (isTerminal(rollout.status)) return reject(`the rollout already ended (${rollout.status})`);
  const accept = (what: string) =>
    ctx.emit({
      type: "command.accepted",
      service: rollout.service,
      message: `${rollout.service}: ${what} (requested by ${by})`,
      data: { command: command.type, actor: command.actor, reason: command.reason },
    });

  switch (command.type) {
    case "abort":
    case "rollback": {
      if (rollout.status === "pending") {
        accept(`${command.type === "abort" ? "aborted" : "cancelled"} before it started`);
        const reason = `${command.type} requested by ${by} before it started`;
        return { ...rollout, status: "aborted", phase: "completed", reason, finishedAt: ctx.now };
      }
      if (rollout.phase === "rolling_back") return reject("it is already rolling back");
      accept(command.type === "abort" ? "aborting" : "rolling back");
      const outcome = command.type === "abort" ? "aborted" : "rolled_back";
      return beginRollback(rollout, `${command.type} requested by ${by}`, outcome, ctx);
    }
    case "resume":
    case "promote": {
      const waiting = inconclusiveWait(rollout);
      if (waiting) {
        accept(`${command.type === "resume" ? "resumed" : "promoted"} past an inconclusive analysis`);
        ctx.emit({
          type: "rollout.resumed",
          service: rollout.service,
          message: `${rollout.service}: resumed`,
        });
        const resumed = {
          ...rollout,
          status: "running" as const,
          pausedSince: undefined,
          pauseReason: undefined,
        };
        // A background analysis starts over; an analysis step is passed.
        if (waiting === "background") return { ...resumed, backgroundRun: undefined };
        return { ...resumed, stepIndex: rollout.stepIndex + 1, stepStartedAt: ctx.now };
      }
      const step = rollout.steps[rollout.stepIndex];
      if (rollout.phase !== "progressing" || step?.type !== "pause") {
        return reject("the rollout is not at a pause step");
      }
      if (command.type === "resume" && step.duration !== undefined) {
        return reject(`the current step is a timed pause (${describeStep(step)}); use promote to skip it`);
      }
      accept(`${command.type === "resume" ? "resumed" : "promoted"} past ${describeStep(step)}`);
      ctx.emit({ type: "rollout.resumed", service: rollout.service, message: `${rollout.service}: resumed` });
      return {
        ...rollout,
        status: "running" as const,
        pausedSince: undefined,
        pauseReason: undefined,
        stepIndex: rollout.stepIndex + 1,
        stepStartedAt: ctx.now,
      };
    }
    case "approve":
    case "reject":
      return reject("approvals are decided by the release's gates");
  }
}
