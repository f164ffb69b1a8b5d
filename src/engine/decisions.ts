import type { TandemConfig } from "../core/config.js";
import { NotFoundError, TandemError } from "../core/errors.js";
import { type GateState, isTerminal, type ReleaseState } from "../core/types.js";
import { nextEnvironments } from "../environments/promotion.js";
import { refusal } from "./approval.js";

/**
 * Checks an approval decision before it is recorded, so the person gets the refusal at once (the
 * engine checks it again when it applies it).
 */
export function checkDecision(
  release: ReleaseState,
  decision: "approve" | "reject",
  actor: string,
  service: string | undefined,
): void {
  if (isTerminal(release.status)) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `release ${release.id} already ended (${release.status})`,
    );
  }
  const open = (gate: GateState | undefined): gate is GateState => gate !== undefined && !gate.outcome;
  let gate: GateState | undefined;
  if (service !== undefined) {
    const rollout = release.rollouts.find((r) => r.service === service);
    if (!rollout) throw new NotFoundError(`service ${service} in release ${release.id}`);
    gate = open(rollout.gate) ? rollout.gate : undefined;
  } else if (open(release.approval)) gate = release.approval;
  else {
    const waiting = release.rollouts.filter((r) => open(r.gate));
    if (waiting.length > 1) {
      throw new TandemError(
        "TANDEM_ERR_INVALID_REQUEST",
        `several services of release ${release.id} wait for approval: ${waiting.map((r) => r.service).join(", ")}`,
        { hint: "name one with --service" },
      );
    }
    gate = waiting[0]?.gate;
  }
  if (!gate) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `release ${release.id}${service ? ` (${service})` : ""} is not waiting for an approval (${release.status})`,
      { hint: "`tandem status RELEASE` shows what it waits for" },
    );
  }
  const why = refusal(gate, actor, decision);
  if (why) {
    throw new TandemError("TANDEM_ERR_NOT_ALLOWED", `${decision} refused: ${why}`, {
      hint: "the identity comes from TANDEM_USER, or the OS user",
    });
  }
}

/** The request that promotes a succeeded release's versions into the next environment. */
export function promotionRequest(
  config: TandemConfig,
  source: ReleaseState,
  to: string | undefined,
): { environment: string; services: Array<{ service: string; version: string }> } {
  if (source.status !== "succeeded") {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `release ${source.id} ${source.status.replace("_", " ")}; only a succeeded release can be promoted`,
      { hint: "`tandem history` lists releases" },
    );
  }
  const next = nextEnvironments(config, source.environment);
  const environment = to ?? (next.length === 1 ? next[0] : undefined);
  if (!environment) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      next.length === 0
        ? `no environment comes after ${source.environment}`
        : `several environments come after ${source.environment}: ${next.join(", ")}`,
      { hint: "name one with --to ENVIRONMENT" },
    );
  }
  if (environment === source.environment) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `release ${source.id} is already in ${environment}`, {
      hint: "promote to the next environment with --to",
    });
  }
  return {
    environment,
    services: source.rollouts
      .filter((r) => !r.skipped)
      .map((r) => ({ service: r.service, version: r.version })),
  };
}
