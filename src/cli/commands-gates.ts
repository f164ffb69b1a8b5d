import type { Command } from "commander";
import { type GlobalOptions, printJson } from "./context.js";
import { onlyActive, withClient } from "./remote.js";
import { runOrReturn } from "./run-release.js";

type Globals = () => GlobalOptions;

/** `tandem approve`, `tandem reject`, `tandem promote`. */
export function registerGateCommands(program: Command, globals: Globals): void {
  const decision = (name: "approve" | "reject", description: string) =>
    program
      .command(name)
      .description(description)
      .argument("[release]", "release id (default: the only unfinished one)")
      .option("-s, --service <service>", "the service whose approval step this is")
      .option("-m, --comment <text>", "why, for the record")
      .action(async (releaseId: string | undefined, options: { service?: string; comment?: string }) =>
        withClient(globals(), async (client) => {
          const id = releaseId ?? (await onlyActive(client));
          const command = await client.act(id, name, { service: options.service, reason: options.comment });
          if (globals().json) return printJson(command);
          console.log(
            `${name === "approve" ? "approval" : "rejection"} by ${command.actor} recorded for release ${id}`,
          );
          if (!(await client.isDriven(id))) {
            console.log("no engine is driving the release now: run `tandem engine` to act on it");
          }
        }),
      );
  decision("approve", "approve a release waiting at its environment's gate or at an approval step");
  decision(
    "reject",
    "reject it: nothing starts (environment gate), or the service rolls back (approval step)",
  );

  program
    .command("promote")
    .description("release the versions of a succeeded release into the next environment, and follow it")
    .argument("<release>", "a succeeded release")
    .option("--to <environment>", "target environment (default: the one whose `after` is the release's)")
    .option("--override-freeze <reason>", "release during a change freeze; the reason is recorded")
    .option("--no-wait", "create the release and return (`tandem engine` or the server drives it)")
    .action(async (releaseId: string, options: { to?: string; overrideFreeze?: string; wait: boolean }) =>
      withClient(globals(), async (client, local) => {
        const release = await client.promote(releaseId, {
          to: options.to,
          overrideFreeze: options.overrideFreeze,
          drive: options.wait,
        });
        if (!globals().json) {
          console.log(
            `release ${release.id} promotes ${release.rollouts.map((r) => `${r.service}@${r.version}`).join(" ")} from ${releaseId} into ${release.environment}`,
          );
        }
        process.exitCode = await runOrReturn(client, local, release, options.wait, globals());
      }),
    );
}
