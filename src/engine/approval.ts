import { normalizeActor } from "../core/actor.js";
import { formatDuration } from "../core/duration.js";
import type { ApprovalDecision, ApprovalSpec, GateState } from "../core/types.js";

/**
 * Approval gates, pure: open one, record a decision, see what time does to it. The engine stores the
 * gate in the release (environment gate) or the rollout (`approval` step) and emits the events.
 */

export function openGate(spec: ApprovalSpec, requestedBy: string, now: number): GateState {
  return {
    spec,
    requestedBy,
    requestedAt: now,
    deadline: now + spec.timeout,
    escalated: false,
    decisions: [],
  };
}

export function approvalsOf(gate: GateState): ApprovalDecision[] {
  return gate.decisions.filter((d) => d.decision === "approve");
}

/**
 * Who may decide now: the approvers, and once the gate escalated, the escalation list too; in the
 * normalised form (`normalizeActor`), whatever the configuration or an older stored gate wrote.
 */
export function approversOf(gate: GateState): string[] {
  const { approvers, escalateTo } = gate.spec;
  if (approvers.length === 0) return [];
  return [...new Set((gate.escalated ? [...approvers, ...escalateTo] : approvers).map(normalizeActor))];
}

/** The distinct people who approved (`Alice` and ` alice ` are one). */
export function approverNames(gate: GateState): string[] {
  return [...new Set(approvalsOf(gate).map((d) => normalizeActor(d.actor)))];
}

/** Why `actor` may not decide on this gate, or undefined when they may. Actors compare normalised. */
export function refusal(gate: GateState, who: string, decision: "approve" | "reject"): string | undefined {
  if (gate.outcome) return `the approval was already ${gate.outcome}`;
  const { spec } = gate;
  const actor = normalizeActor(who);
  const approvers = approversOf(gate);
  if (approvers.length > 0 && !approvers.includes(actor)) {
    return `${actor} is not an approver here (approvers: ${approvers.join(", ")})`;
  }
  if (decision === "approve" && !spec.allowSelfApproval && actor === normalizeActor(gate.requestedBy)) {
    return `${actor} started this release and cannot approve it (allowSelfApproval: false); another approver must`;
  }
  if (decision === "approve" && approverNames(gate).includes(actor)) {
    return `${actor} already approved; ${spec.required} different approvers are needed`;
  }
  return undefined;
}

/** Records an allowed decision: one rejection closes the gate, `required` distinct approvals open it. */
export function decide(gate: GateState, decision: ApprovalDecision): GateState {
  const decisions = [...gate.decisions, decision];
  if (decision.decision === "reject") return { ...gate, decisions, outcome: "rejected" };
  const approvals = approverNames({ ...gate, decisions }).length;
  return { ...gate, decisions, ...(approvals >= gate.spec.required ? { outcome: "approved" as const } : {}) };
}

/** Why a rejected gate stopped what waited at it: `rejected by bob: not during the sale`. */
export function rejectionReason(gate: GateState): string {
  const rejection = gate.decisions.find((d) => d.decision === "reject");
  return rejection
    ? `rejected by ${rejection.actor}${rejection.comment ? `: ${rejection.comment}` : ""}`
    : "approval rejected";
}

export type TimeoutEffect =
  | { kind: "none" }
  /** Escalate once: notify `to`, wait another timeout. */
  | { kind: "escalate"; gate: GateState; to: string[] }
  | { kind: "reject"; gate: GateState; reason: string };

/** What the passing of time does to an undecided gate. */
export function onTime(gate: GateState, now: number): TimeoutEffect {
  if (gate.outcome || now < gate.deadline) return { kind: "none" };
  const { spec } = gate;
  if (spec.onTimeout === "escalate" && !gate.escalated) {
    return {
      kind: "escalate",
      gate: { ...gate, escalated: true, deadline: now + spec.timeout },
      to: spec.escalateTo,
    };
  }
  const waited = formatDuration(now - gate.requestedAt);
  const got = approverNames(gate).length;
  return {
    kind: "reject",
    gate: { ...gate, outcome: "rejected" },
    reason: `approval timed out after ${waited} (${got} of ${spec.required} approvals${gate.escalated ? ", after escalation" : ""})`,
  };
}

/**
 * `1 of 2 approvals (alice); waiting for bob or carol until 14:05`: those who may still approve (not
 * the requester without allowSelfApproval); once decided, only the count.
 */
export function describeGate(gate: GateState): string {
  const approvals = approverNames(gate);
  const by = approvals.length > 0 ? ` (${approvals.join(", ")})` : "";
  const count = `${approvals.length} of ${gate.spec.required} approvals${by}`;
  if (gate.outcome) return count;
  const requester = normalizeActor(gate.requestedBy);
  const left = approversOf(gate)
    .filter((a) => !approvals.includes(a))
    .filter((a) => gate.spec.allowSelfApproval || a !== requester);
  const until = new Date(gate.deadline).toISOString();
  if (gate.spec.approvers.length > 0 && left.length === 0) {
    return `${count}; no listed approver is left who may approve; times out at ${until}`;
  }
  const who = gate.spec.approvers.length === 0 ? "any approver" : left.join(" or ");
  return `${count}; waiting for ${who} until ${until}`;
}
