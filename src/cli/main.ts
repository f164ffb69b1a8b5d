#!/usr/bin/env node
import { Command } from "commander";
import { VERSION } from "../core/version.js";
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
import { registerCompletionCommand } from "./completion.js";
import { EXIT, type GlobalOptions } from "./context.js";
import { exitQuietlyOnClosedStdout, reportError } from "./error-output.js";
import { checkRemoteSupport } from "./remote.js";

export async function main(argv: string[]): Promise<number> {
  const program = new Command("tandem")
    .description("Release several services together, safely.")
    .version(VERSION, "-V, --version", "print the version of tandem")
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
  registerCompletionCommand(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    return reportError(error, Boolean(program.opts<GlobalOptions>().json) || argv.includes("--json"));
  }
}

exitQuietlyOnClosedStdout();
main(process.argv).then((code) => {
  process.exitCode = code;
});
