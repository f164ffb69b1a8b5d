import type { TargetConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { CommandTarget } from "./command.js";
import { GitHubActionsTarget } from "./github-actions/target.js";
import { ProcessTarget } from "./process.js";
import { SimTarget } from "./sim.js";
import type { Target, TargetContext } from "./types.js";

export const TARGET_TYPES = ["process", "sim", "command", "github-actions"] as const;

/** The target for a service's configuration; an unknown `type` is an error, never a default. */
export function createTarget(config: TargetConfig, context: TargetContext): Target {
  switch (config.type) {
    case "process":
      return new ProcessTarget(config, context);
    case "sim":
      return new SimTarget(config, context);
    case "command":
      return new CommandTarget(config, context);
    case "github-actions":
      return new GitHubActionsTarget(config, context);
    default:
      throw new UnknownTypeError("target", String((config as { type: unknown }).type), TARGET_TYPES);
  }
}

export { CommandTarget } from "./command.js";
export { GitHubActionsTarget } from "./github-actions/target.js";
export { ProcessTarget } from "./process.js";
export { isSimHealthy, resetSimInstances, SimProbe, SimTarget, simHealth, simProbeConfig } from "./sim.js";
export type { Target, TargetContext, TargetFactory } from "./types.js";
