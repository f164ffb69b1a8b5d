import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { TandemError } from "../core/errors.js";
import type { Logger } from "../core/types.js";
import { Orchestrator, type OrchestratorOptions } from "../orchestrator.js";
import { stderrLogger } from "./logger.js";

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  /** `--server URL`: talk to a `tandem serve` (see src/cli/remote.ts) instead of the store. */
  server?: string;
}

/** The configuration file: --config, else TANDEM_CONFIG, else ./tandem.yaml. */
export function configPath(options: GlobalOptions): string {
  const file = resolve(options.config ?? process.env.TANDEM_CONFIG ?? "tandem.yaml");
  if (!existsSync(file)) {
    throw new TandemError("TANDEM_ERR_CONFIG_NOT_FOUND", `no configuration at ${file}`, {
      hint: "run `tandem init` to write one, or pass --config FILE",
    });
  }
  return file;
}

export async function withOrchestrator<T>(
  options: GlobalOptions,
  work: (orchestrator: Orchestrator) => Promise<T>,
  log: Logger = stderrLogger(),
  more: Omit<OrchestratorOptions, "log"> = {},
): Promise<T> {
  const orchestrator = await Orchestrator.open(configPath(options), { ...more, log });
  try {
    return await work(orchestrator);
  } finally {
    await orchestrator.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Exit codes a CI job can act on (README, "Exit codes"). */
export const EXIT = {
  ok: 0,
  releaseFailed: 1,
  invalid: 2,
  operational: 3,
  /** `tandem audit verify`: the audit trail's hash chain is broken (an entry edited, deleted or inserted). */
  auditBroken: 4,
  /** The store file is damaged (TANDEM_ERR_STORE_CORRUPT), from any command; `tandem store check` says how. */
  storeCorrupt: 5,
  interrupted: 130,
} as const;
