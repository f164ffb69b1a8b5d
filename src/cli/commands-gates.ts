import type { Command } from "commander";
import type { Orchestrator } from "../orchestrator.js";
import { onlyActive } from "./commands-release.js";
import { type GlobalOptions, printJson, withOrchestrator } from "./context.js";
import { followRemote, remoteClient, remoteOnlyActive } from "./remote.js";
import { driveWithProgress } from "./run-release.js";
import { reportToCi } from "./step-summary.js";

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
      .action(async (releaseId: string | undefined, options: { service?: string; comment?: string }) => {
        const client = remoteClient(globals());
        if (client) {
          const id = releaseId ?? (await remoteOnlyActive(client));
          const command = await client.command(id, name, {
            service: options.service,
            comment: options.comment,
          });
          if (globals().json) return printJson(command);
          return console.log(
            `${name === "approve" ? "approval" : "rejection"} by ${command.actor} recorded for release ${id}`,
          );
        }
        return withOrchestrator(globals(), async (o) => {
          const id = releaseId ?? (await onlyActive(o));
          const command = await o[name](id, {
            service: options.service,
            comment: options.comment,
            origin: "cli",
          });
          if (globals().json) return printJson(command);
          console.log(
            `${name === "approve" ? "approval" : "rejection"} by ${command.actor} recorded for release ${id}`,
          );
          if (!(await o.isDriven(id))) {
            console.log("no engine is driving the release now: run `tandem engine` to act on it");
          }
        });
      });
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
    .option("--no-wait", "create the release and return (`tandem engine` drives it)")
    .action(async (releaseId: string, options: { to?: string; overrideFreeze?: string; wait: boolean }) => {
      const client = remoteClient(globals());
      if (client) {
        const release = await client.promote(releaseId, {
          to: options.to,
          overrideFreeze: options.overrideFreeze,
        });
        if (!globals().json)
          console.log(`release ${release.id} promotes ${releaseId} into ${release.environment}`);
        if (!options.wait) return globals().json ? printJson(release) : undefined;
        process.exitCode = await followRemote(client, release.id, Boolean(globals().json));
        return;
      }
      return withOrchestrator(globals(), async (o: Orchestrator) => {
        const release = await o.promote(releaseId, {
          to: options.to,
          overrideFreeze: options.overrideFreeze,
          origin: "cli",
          drive: options.wait,
        });
        if (!globals().json) {
          console.log(
            `release ${release.id} promotes ${release.rollouts.map((r) => `${r.service}@${r.version}`).join(" ")} from ${releaseId} into ${release.environment}`,
          );
        }
        if (!options.wait) {
          reportToCi([release], { now: o.clock.now(), annotate: false, out: process.stdout });
          if (globals().json) printJson(release);
          return;
        }
        process.exitCode = await driveWithProgress(o, [release.id], { json: globals().json, created: true });
      });
    });
}
