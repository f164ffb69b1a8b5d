import type { Command } from "commander";
import { formatDuration, parseDuration } from "../core/duration.js";
import { checkPageSize, LIMITS } from "../core/limits.js";
import { type GlobalOptions, printJson, withOrchestrator } from "./context.js";
import { eventLine, releaseSummary, whereLines } from "./format.js";
import { serviceLogger } from "./logger.js";
import { formatPlan } from "./plan-format.js";
import { onlyActive, theOnlyUnfinished, withClient } from "./remote.js";
import { driveWithProgress, runOrReturn } from "./run-release.js";
import { reportToCi } from "./step-summary.js";
import { watchRelease } from "./watch.js";

type Globals = () => GlobalOptions;

export function registerReleaseCommands(program: Command, globals: Globals): void {
  program
    .command("plan")
    .description(
      "show the release DAG: the order services would move in, each one's steps, and the time along the critical path",
    )
    .argument("<services...>", "SERVICE@VERSION ...")
    .option("-e, --env <environment>", "environment")
    .action(async (services: string[], options: { env?: string }) =>
      withClient(globals(), async (client) => {
        const plan = await client.plan({ services, environment: options.env });
        if (globals().json) return printJson(plan);
        console.log(formatPlan(plan));
      }),
    );

  program
    .command("deploy")
    .description("release SERVICE@VERSION into an environment and follow it until it ends")
    .argument("<services...>", "SERVICE@VERSION ...")
    .option("-e, --env <environment>", "environment")
    .option("--override-freeze <reason>", "release during a change freeze; the reason is recorded")
    .option("--no-wait", "create the release and return (`tandem engine` or the server drives it)")
    .action(async (services: string[], options: { env?: string; overrideFreeze?: string; wait: boolean }) =>
      withClient(globals(), async (client, local) => {
        const release = await client.createRelease({
          services,
          environment: options.env,
          overrideFreeze: options.overrideFreeze,
          drive: options.wait,
        });
        if (!globals().json) console.log(`release ${release.id} created`);
        process.exitCode = await runOrReturn(client, local, release, options.wait, globals());
      }),
    );

  program
    .command("engine")
    .description("drive every unfinished release (after an interrupted deploy or a crash) until it ends")
    .action(async () =>
      withOrchestrator(
        globals(),
        async (o) => {
          const active = await o.history({ active: true });
          if (active.length === 0) return console.log("no unfinished release");
          process.exitCode = await driveWithProgress(
            o,
            active.map((r) => r.id),
            { json: globals().json },
          );
        },
        // Structured logs (pino) on stderr; the progress lines stay on stdout.
        serviceLogger({ component: "engine" }).log,
      ),
    );

  program
    .command("status")
    .description("show a release (default: the unfinished ones) and what runs where")
    .argument("[release]", "release id")
    .option("-e, --env <environment>", "environment")
    .option(
      "-w, --watch",
      "follow the release (default: the only unfinished one) until it ends; exit with its code",
    )
    .option("--timeout <duration>", "with --watch: give up after this long (exit 3)")
    .action(
      async (releaseId: string | undefined, options: { env?: string; watch?: boolean; timeout?: string }) => {
        if (options.watch) {
          process.exitCode = await watchStatus(globals(), releaseId, options);
          return;
        }
        return withClient(globals(), async (client) => {
          const releases = releaseId
            ? [await client.release(releaseId)]
            : await client.releases({ active: true, environment: options.env });
          const where = await client.where(options.env);
          const events = releaseId ? await client.events(releaseId) : undefined;
          reportToCi(releases, { now: client.now(), annotate: false, out: process.stdout });
          // With a release named, --json carries its events as the text output does.
          if (globals().json) return printJson(events ? { releases, events, where } : { releases, where });
          if (releases.length === 0) console.log("no unfinished release");
          for (const release of releases) console.log(releaseSummary(release, client.now()));
          for (const event of events ?? []) console.log(`  ${eventLine(event)}`);
          console.log("\nwhat runs where:");
          for (const entry of where) console.log(whereLines(entry));
        });
      },
    );

  program
    .command("history")
    .description("list releases, newest first")
    .option("-e, --env <environment>", "environment")
    .option("-s, --service <service>", "only releases of this service")
    .option("-n, --limit <n>", "how many", "20")
    .action(async (options: { env?: string; service?: string; limit: string }) =>
      withClient(globals(), async (client) => {
        const limit = checkPageSize("--limit", Number(options.limit), 20, LIMITS.maxPage);
        const releases = await client.releases({ environment: options.env, service: options.service, limit });
        if (globals().json) return printJson(releases);
        for (const r of releases) {
          const took = r.finishedAt ? formatDuration(r.finishedAt - r.createdAt) : "-";
          const what = r.rollouts.map((x) => `${x.service}@${x.version}`).join(" ");
          console.log(
            `${r.id}  ${new Date(r.createdAt).toISOString()}  ${r.environment.padEnd(10)} ${r.status.padEnd(12)} ${took.padEnd(8)} ${what}`,
          );
        }
      }),
    );

  const control = (name: "abort" | "resume", description: string) => {
    const command = program
      .command(name)
      .description(description)
      .argument("[release]", "release id (default: the only unfinished one)")
      .option("-r, --reason <text>", "why, for the record")
      .option("-s, --service <service>", "only this service's rollout");
    if (name === "resume") command.option("-f, --force", "also skip a timed pause");
    return command.action(
      async (
        releaseId: string | undefined,
        options: { reason?: string; service?: string; force?: boolean },
      ) =>
        withClient(globals(), async (client) => {
          const id = releaseId ?? (await onlyActive(client));
          const command = await client.act(id, name, {
            reason: options.reason,
            service: options.service,
            force: options.force,
          });
          if (globals().json) return printJson(command);
          console.log(
            (await client.isDriven(id))
              ? `${command.type} requested for release ${id}; the engine acts on it at its next pass`
              : `${command.type} recorded for release ${id}, but no engine is driving it: run \`tandem engine\` to act on it`,
          );
        }),
    );
  };
  control("abort", "stop a release: roll back what it moved and end it as aborted");
  control("resume", "continue a release waiting at a pause");

  program
    .command("rollback")
    .description("roll a service back: during a release, stop it; afterwards, release the previous version")
    .argument("<service>", "service")
    .option("-e, --env <environment>", "environment")
    .option("--to <version>", "roll back to this version")
    .option("-r, --reason <text>", "why, for the record")
    .action(async (service: string, options: { env?: string; to?: string; reason?: string }) =>
      withClient(globals(), async (client, local) => {
        const result = await client.rollbackService({
          service,
          environment: options.env,
          to: options.to,
          reason: options.reason,
          drive: true,
        });
        if (result.kind === "command") {
          if (globals().json) return printJson(result);
          return console.log(`rollback requested for release ${result.releaseId}`);
        }
        if (!globals().json) {
          console.log(
            `release ${result.releaseId} rolls ${service} back to ${result.release.rollouts[0]?.version}`,
          );
        }
        process.exitCode = await runOrReturn(client, local, result.release, true, globals());
      }),
    );
}

/** `tandem status --watch`: reads the release through either transport; whoever drives it goes on. */
async function watchStatus(
  options: GlobalOptions,
  releaseId: string | undefined,
  flags: { env?: string; timeout?: string },
): Promise<number> {
  return withClient(options, async (client) => {
    const id =
      releaseId ?? theOnlyUnfinished(await client.releases({ active: true, environment: flags.env }));
    return watchRelease(client, id, {
      json: Boolean(options.json),
      timeoutMs: flags.timeout ? parseDuration(flags.timeout) : undefined,
    });
  });
}
