import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { ApiClient } from "../api/client.js";
import type { TandemClient } from "../client.js";
import { TandemError } from "../core/errors.js";
import { isTerminal, type ReleaseState } from "../core/types.js";
import type { Orchestrator } from "../orchestrator.js";
import { EXIT, type GlobalOptions, printJson, withOrchestrator } from "./context.js";
import { eventLine, releaseSummary } from "./format.js";
import { listenForInterrupt } from "./interrupt.js";
import { reportToCi } from "./step-summary.js";

/** Commands that work with `--server` (the others say so and stop). */
export const REMOTE_COMMANDS = new Set([
  "deploy",
  "promote",
  "rollback",
  "status",
  "history",
  "approve",
  "reject",
  "abort",
  "resume",
  "report",
  "audit",
  "audit verify",
  "token create",
  "token list",
  "token revoke",
  "plan",
  "registry",
  "registry publish",
  "registry versions",
  "notifications",
  "notifications list",
  "notifications retry",
  "down",
]);

/**
 * Commands that read only local files (the configuration, its schema) and never a store: with a
 * server they run here as without one.
 */
export const LOCAL_COMMANDS = new Set(["init", "validate", "schema", "simulate", "completion"]);

/** The server of `--server` or TANDEM_SERVER, if any. */
export function remoteServer(options: GlobalOptions): string | undefined {
  return options.server ?? (process.env.TANDEM_SERVER || undefined);
}

function remoteClient(options: GlobalOptions): ApiClient | undefined {
  const server = remoteServer(options);
  return server ? new ApiClient(server, process.env.TANDEM_TOKEN || undefined) : undefined;
}

/** Refuses, before it runs, a command that cannot talk to a server yet. */
export function checkRemoteSupport(program: Command): void {
  program.hook("preAction", (_root, action) => {
    const options = program.opts<GlobalOptions>();
    if (!remoteServer(options)) return;
    const path: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) path.unshift(c.name());
    if (!REMOTE_COMMANDS.has(path.join(" ")) && !LOCAL_COMMANDS.has(path.join(" "))) {
      throw new TandemError(
        "TANDEM_ERR_INVALID_REQUEST",
        `\`tandem ${path.join(" ")}\` is not supported with --server yet`,
        {
          hint: `run it without --server / TANDEM_SERVER, next to the store; with a server: ${[...REMOTE_COMMANDS].join(", ")}`,
        },
      );
    }
  });
}

/** Follows a release through the API, printing its events, until it ends. The exit code of `deploy`. */
export async function followRemote(client: TandemClient, id: string, json: boolean): Promise<number> {
  const out = json ? process.stderr : process.stdout;
  const controller = new AbortController();
  const interrupt = listenForInterrupt(() => controller.abort(new Error("interrupted")));
  try {
    let after = 0;
    let release: ReleaseState;
    for (;;) {
      for (const event of await client.events(id, after)) {
        after = event.seq ?? after;
        out.write(`  ${eventLine(event)}\n`);
      }
      release = await client.release(id);
      if (isTerminal(release.status)) break;
      if (controller.signal.aborted) {
        process.stderr.write("\nstopped following the release; the server keeps driving it.\n");
        reportToCi([release], { now: Date.now(), annotate: false, out: process.stderr });
        return EXIT.interrupted;
      }
      await sleep(500, undefined, { signal: controller.signal }).catch(() => undefined);
    }
    for (const event of await client.events(id, after)) out.write(`  ${eventLine(event)}\n`);
    if (json) printJson(release);
    else process.stdout.write(`\n${releaseSummary(release, Date.now())}\n`);
    reportToCi([release], { now: Date.now(), annotate: true, out });
    return release.status === "succeeded" ? EXIT.ok : EXIT.releaseFailed;
  } finally {
    interrupt.dispose();
  }
}

/** The one unfinished release of the project, for commands whose release id may be left out. */
export async function onlyActive(client: TandemClient): Promise<string> {
  return theOnlyUnfinished(await client.releases({ active: true }));
}

/** The id of the one unfinished release among `releases`; none or several is an error naming them. */
export function theOnlyUnfinished(releases: ReleaseState[]): string {
  const active = releases.filter((r) => !isTerminal(r.status));
  if (active.length !== 1) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      active.length === 0 ? "no unfinished release" : `${active.length} unfinished releases`,
      {
        hint: active.length
          ? `name one: ${active.map((r) => r.id).join(", ")}`
          : "`tandem history` lists releases",
      },
    );
  }
  return active[0]!.id;
}

/**
 * Runs `work` with this invocation's TandemClient: the server's ApiClient under --server, else an
 * Orchestrator on the store that records its changes as made through "cli". `local` is that same
 * orchestrator, for what only a run next to the store has (the store file itself): undefined through
 * a server.
 */
export async function withClient<T>(
  options: GlobalOptions,
  work: (client: TandemClient, local?: Orchestrator) => Promise<T>,
): Promise<T> {
  const client = remoteClient(options);
  if (client) return work(client);
  return withOrchestrator(options, (o) => work(o, o), undefined, { origin: "cli" });
}
