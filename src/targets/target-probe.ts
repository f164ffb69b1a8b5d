import type { ProbeConfig, ProbeTiming } from "../core/config.js";
import type { Endpoint } from "../core/types.js";
import type { Probe, ProbeResult } from "../probes/types.js";
import type { Target } from "./types.js";

/**
 * The monitor bounds every check by its probe's timeout; a target bounds its own check (a status
 * command has its own timeout), so this one only catches a check that never answers.
 */
export const TARGET_CHECK_TIMEOUT_MS = 15 * 60_000;

/**
 * A target's own readiness check (Target.check) as a probe named after the target type, run by the
 * monitor with the configured probes. Its timing is the first configured probe's, or the defaults
 * (every 1s, ready after 1 success, failed after 3 failures in a row).
 */
export class TargetProbe implements Probe {
  readonly name: string;
  readonly config: ProbeConfig;

  constructor(
    private readonly target: Target & Required<Pick<Target, "check">>,
    type: string,
    timing?: ProbeTiming,
  ) {
    this.name = type;
    this.config = {
      type: "tcp",
      name: type,
      initialDelay: timing?.initialDelay ?? 0,
      period: timing?.period ?? 1_000,
      timeout: TARGET_CHECK_TIMEOUT_MS,
      failureThreshold: timing?.failureThreshold ?? 3,
      successThreshold: timing?.successThreshold ?? 1,
    };
  }

  check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    return this.target.check(endpoint, signal);
  }
}

export function hasCheck(target: Target | undefined): target is Target & Required<Pick<Target, "check">> {
  return typeof target?.check === "function";
}
