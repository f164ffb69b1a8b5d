#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { redactSecrets } from "../config/index.js";
import { isTandemError } from "../core/errors.js";
import { registerAuditCommands } from "./commands-audit.js";
import { registerGateCommands } from "./commands-gates.js";
import { registerNotificationCommands } from "./commands-notifications.js";
import { registerProjectCommands } from "./commands-project.js";
import { registerRegistryCommands } from "./commands-registry.js";
import { registerReleaseCommands } from "./commands-release.js";
import { registerReportCommand } from "./commands-report.js";
import { registerServeCommand } from "./commands-serve.js";
import { registerSimulateCommand } from "./commands-simulate.js";
import { registerStoreCommands } from "./commands-store.js";
import { registerTokenCommands } from "./commands-token.js";
import { EXIT, type GlobalOptions } from "./context.js";
import { checkRemoteSupport } from "./remote.js";

const OPERATIONAL = new Set([
  "TANDEM_ERR_TARGET",
  "TANDEM_ERR_ROUTER",
  "TANDEM_ERR_STORE",
  "TANDEM_ERR_STORE_FULL",
  "TANDEM_ERR_STORE_READONLY",
  "TANDEM_ERR_LEASE",
  "TANDEM_ERR_PROBE",
  "TANDEM_ERR_NOTIFY_FAILED",
]);

export async function main(argv: string[]): Promise<number> {
  const program = new Command("tandem")
    .description("Release several services together, safely.")
    .option("-c, --config <file>", "configuration file (default: ./tandem.yaml or $TANDEM_CONFIG)")
    .option("--json", "print machine-readable JSON")
    .option("--server <url>", "talk to a `tandem serve` at URL (or $TANDEM_SERVER) with $TANDEM_TOKEN")
    .exitOverride()
    .showHelpAfterError();
  const globals = () => program.opts<GlobalOptions>();
  checkRemoteSupport(program);
  registerProjectCommands(program, globals);
  registerReleaseCommands(program, globals);
  registerRegistryCommands(program, globals);
  registerGateCommands(program, globals);
  registerSimulateCommand(program, globals);
  registerNotificationCommands(program, globals);
  registerReportCommand(program, globals);
  registerServeCommand(program, globals);
  registerTokenCommands(program, globals);
  registerAuditCommands(program, globals);
  registerStoreCommands(program, globals);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    if (isTandemError(error)) {
      process.stderr.write(`error ${error.code}: ${redactSecrets(error.message)}\n`);
      if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
      if (error.code === "TANDEM_ERR_STORE_CORRUPT") return EXIT.storeCorrupt;
      return OPERATIONAL.has(error.code) ? EXIT.operational : EXIT.invalid;
    }
    process.stderr.write(
      `unexpected error: ${redactSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    return EXIT.operational;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
