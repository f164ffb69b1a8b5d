import type { Command } from "commander";
import type { ApiClient } from "../api/client.js";
import { formatDuration, parseDuration } from "../core/duration.js";
import { checkPageSize, LIMITS } from "../core/limits.js";
import type { Orchestrator } from "../orchestrator.js";
import { type GlobalOptions, printJson, withOrchestrator } from "./context.js";
import { eventLine, releaseSummary, trafficLine } from "./format.js";
import { serviceLogger } from "./logger.js";
import { formatPlan } from "./plan-format.js";
import {
  followRemote,
  remoteClient,
  remoteOnlyActive,
  remoteStatus,
  theOnlyUnfinished,
  withClient,
} from "./remote.js";
import { driveWithProgress } from "./run-release.js";
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
    .action(async (services: string[], options: { env?: string; overrideFreeze?: string; wait: boolean }) => {
      const client = remoteClient(globals());
      if (client) {
        const release = await client.createRelease({
          services,
          environment: options.env,
          overrideFreeze: options.overrideFreeze,
        });
        if (!globals().json) console.log(`release ${release.id} created`);
        if (!options.wait) {
          if (globals().json) printJson(release);
          return;
        }
        process.exitCode = await followRemote(client, release.id, Boolean(globals().json));
        return;
      }
      return withOrchestrator(globals(), async (o) => {
        const release = await o.createRelease({
          services,
          environment: options.env,
          overrideFreeze: options.overrideFreeze,
          origin: "cli",
          drive: options.wait,
        });
        if (!globals().json) console.log(`release ${release.id} created`);
        if (!options.wait) {
          reportToCi([release], { now: o.clock.now(), annotate: false, out: process.stdout });
          if (globals().json) printJson(release);
          return;
        }
        process.exitCode = await driveWithProgress(o, [release.id], { json: globals().json, created: true });
      });
    });

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
        const client = remoteClient(globals());
        if (options.watch) {
          process.exitCode = await watchStatus(client, globals(), releaseId, options);
          return;
        }
        if (client) return remoteStatus(client, Boolean(globals().json), releaseId, options.env);
        return withOrchestrator(globals(), async (o) => {
          const releases = releaseId
            ? [await o.getStatus(releaseId)]
            : await o.history({ active: true, environment: options.env });
          const where = await o.where(options.env);
          const events = releaseId ? await o.events(releaseId) : undefined;
          reportToCi(releases, { now: o.clock.now(), annotate: false, out: process.stdout });
          // With a release named, --json carries its events as the text output does.
          if (globals().json) return printJson(events ? { releases, events, where } : { releases, where });
          if (releases.length === 0) console.log("no unfinished release");
          for (const release of releases) console.log(releaseSummary(release, o.clock.now()));
          for (const event of events ?? []) console.log(`  ${eventLine(event)}`);
          console.log("\nwhat runs where:");
          for (const entry of where) {
            const versions = [...new Set(entry.instances.map((i) => i.version))].join(", ") || "-";
            const router = entry.router ? `${entry.router.listenHost}:${entry.router.listenPort}` : "-";
            console.log(
              `  ${entry.environment.padEnd(12)} ${entry.service.padEnd(12)} stable ${(entry.stable?.version ?? "-").padEnd(10)} instances ${String(entry.instances.length).padStart(2)} (${versions})  router ${router}`,
            );
            for (const [version, t] of Object.entries(entry.traffic ?? {})) {
              console.log(`      ${version.padEnd(14)} ${trafficLine(t)}`);
            }
            if (entry.routerProblem) console.log(`      router: ${entry.routerProblem}`);
          }
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
      ) => {
        const client = remoteClient(globals());
        if (client) {
          const id = releaseId ?? (await remoteOnlyActive(client));
          const command = await client.command(id, name, {
            reason: options.reason,
            service: options.service,
            force: name === "resume" ? options.force : undefined,
          });
          if (globals().json) return printJson(command);
          return console.log(`${command.type} requested for release ${id}`);
        }
        return withOrchestrator(globals(), async (o) => {
          const id = releaseId ?? (await onlyActive(o));
          const command =
            name === "abort"
              ? await o.abort(id, { reason: options.reason, service: options.service, origin: "cli" })
              : await o.resume(id, {
                  reason: options.reason,
                  service: options.service,
                  force: options.force,
                  origin: "cli",
                });
          if (globals().json) return printJson(command);
          console.log(
            (await o.isDriven(id))
              ? `${command.type} requested for release ${id}; the engine acts on it at its next pass`
              : `${command.type} recorded for release ${id}, but no engine is driving it: run \`tandem engine\` to act on it`,
          );
        });
      },
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
    .action(async (service: string, options: { env?: string; to?: string; reason?: string }) => {
      const client = remoteClient(globals());
      if (client) {
        const result = await client.rollback({
          service,
          environment: options.env,
          to: options.to,
          reason: options.reason,
        });
        if (result.kind === "command") {
          if (globals().json) return printJson(result);
          return console.log(`rollback requested for release ${result.releaseId}`);
        }
        if (!globals().json) console.log(`release ${result.releaseId} rolls ${service} back`);
        process.exitCode = await followRemote(client, result.releaseId, Boolean(globals().json));
        return;
      }
      return withOrchestrator(globals(), async (o) => {
        const result = await o.rollback(service, {
          environment: options.env,
          to: options.to,
          reason: options.reason,
          origin: "cli",
          drive: true,
        });
        if (result.kind === "command") {
          if (globals().json) return printJson(result);
          return console.log(`rollback requested for release ${result.releaseId}`);
        }
        if (!globals().json)
          console.log(
            `release ${result.release.id} rolls ${service} back to ${result.release.rollouts[0]?.version}`,
          );
        process.exitCode = await driveWithProgress(o, [result.release.id], {
          json: globals().json,
          created: true,
        });
      });
    });
}

/** `tandem status --watch`, through the server's API or on the local store. */
async function watchStatus(
  client: ApiClient | undefined,
  options: GlobalOptions,
  releaseId: string | undefined,
  flags: { env?: string; timeout?: string },
): Promise<number> {
  const watch = {
    json: Boolean(options.json),
    timeoutMs: flags.timeout ? parseDuration(flags.timeout) : undefined,
  };
  if (client) {
    const id =
      releaseId ?? theOnlyUnfinished(await client.releases({ active: true, environment: flags.env }));
    return watchRelease(client, id, watch);
  }
  return withOrchestrator(options, async (o) => {
    const id = releaseId ?? theOnlyUnfinished(await o.history({ active: true, environment: flags.env }));
    const source = {
      release: (r: string) => o.getStatus(r),
      events: (r: string, after?: number) => o.events(r, after),
      isDriven: (r: string) => o.isDriven(r),
    };
    return watchRelease(source, id, { ...watch, now: () => o.clock.now() });
  });
}

export async function onlyActive(o: Orchestrator): Promise<string> {
  return theOnlyUnfinished(await o.history({ active: true }));
}
