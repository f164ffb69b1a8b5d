import type { TandemClient } from "../client.js";
import { parseDuration } from "../core/duration.js";
import { isTandemError, TandemError } from "../core/errors.js";
import { isTerminal, type ReleaseState } from "../core/types.js";
import { DEFAULT_NOTIFY_GRACE_MS } from "../notify/notifications.js";
import type { Orchestrator } from "../orchestrator.js";
import { EXIT, printJson } from "./context.js";
import { releaseSummary } from "./format.js";
import { listenForInterrupt } from "./interrupt.js";
import { ProgressView } from "./progress.js";
import { followRemote } from "./remote.js";
import { reportToCi } from "./step-summary.js";

/**
 * Drives releases in this process with live progress, until they end or the user interrupts
 * (the release then keeps its state; `tandem engine` continues it).
 */
export async function driveWithProgress(
  orchestrator: Orchestrator,
  releaseIds: string[],
  options: {
    json?: boolean;
    /**
     * A release just created: first show the events stored with it (an approval it waits for, a
     * change freeze overridden), which no engine publishes; the caller already said it was created.
     */
    created?: boolean;
  },
): Promise<number> {
  const view = new ProgressView(options.json ? process.stderr : process.stdout);
  if (options.created) {
    // Before any engine runs (the events it publishes come after these).
    for (const id of releaseIds) {
      for (const event of await orchestrator.events(id)) {
        if (event.type !== "release.created") view.event(event);
      }
    }
  }
  const unsubscribe = orchestrator.subscribe((event) => view.event(event));
  const controller = new AbortController();
  const interrupt = listenForInterrupt(() => controller.abort(new Error("interrupted")));
  const latest = new Map<string, ReleaseState>();
  const redraw = setInterval(async () => {
    for (const id of releaseIds) {
      const release = await orchestrator.store.getRelease(id).catch(() => undefined);
      if (release) latest.set(id, release);
      if (release && !isTerminal(release.status)) view.render(release, orchestrator.clock.now());
    }
  }, 250);
  try {
    const finals = await Promise.all(releaseIds.map((id) => orchestrator.run(id, controller.signal))).catch(
      async (error: unknown) => {
        throw await whereTheReleasesStand(error, orchestrator, releaseIds);
      },
    );
    clearInterval(redraw);
    if (controller.signal.aborted) {
      process.stderr.write(
        "\nstopped driving the release; routers and instances keep serving.\n" +
          "continue with `tandem engine`, or stop it with `tandem abort RELEASE`.\n",
      );
      // The job summary still shows where the releases stand (waiting for approval, paused…).
      const current = await Promise.all(
        releaseIds.map((id) => orchestrator.store.getRelease(id).catch(() => undefined)),
      );
      reportToCi(
        current.filter((r) => r !== undefined),
        { now: orchestrator.clock.now(), annotate: false, out: process.stderr },
      );
      return EXIT.interrupted;
    }
    await flushNotifications(orchestrator);
    if (options.json) printJson(finals.length === 1 ? finals[0] : finals);
    else
      for (const release of finals)
        process.stdout.write(`\n${releaseSummary(release, orchestrator.clock.now())}\n`);
    reportToCi(finals, {
      now: orchestrator.clock.now(),
      annotate: true,
      out: options.json ? process.stderr : process.stdout,
    });
    return finals.every((r) => r.status === "succeeded") ? EXIT.ok : EXIT.releaseFailed;
  } finally {
    clearInterval(redraw);
    unsubscribe();
    interrupt.dispose();
  }
}

const STORE_CODES = new Set([
  "TANDEM_ERR_STORE",
  "TANDEM_ERR_STORE_FULL",
  "TANDEM_ERR_STORE_READONLY",
  "TANDEM_ERR_STORE_CORRUPT",
]);

/**
 * The store failed while this process drove releases (a full disk, a read-only or damaged file): the
 * error keeps its code and says that nothing is lost and `tandem engine` continues the releases from
 * their last stored state once the store can be written again.
 */
async function whereTheReleasesStand(
  error: unknown,
  orchestrator: Orchestrator,
  releaseIds: string[],
): Promise<unknown> {
  if (!isTandemError(error) || !STORE_CODES.has(error.code)) return error;
  const stored = await Promise.all(
    releaseIds.map(async (id) => {
      const release = await orchestrator.store.getRelease(id).catch(() => undefined);
      return `release ${id} stays ${release?.status ?? "as last stored"}`;
    }),
  );
  const when =
    error.code === "TANDEM_ERR_STORE_CORRUPT"
      ? "once the file is restored"
      : "once the store is writable again";
  const hint = [
    error.hint,
    `${stored.join(", ")}; \`tandem engine\` continues ${releaseIds.length === 1 ? "it" : "them"} ${when} (routers and instances keep serving meanwhile)`,
  ]
    .filter(Boolean)
    .join("; ");
  return new TandemError(error.code, error.message, { cause: error, hint });
}

/**
 * After the releases ended: delivers the notifications that are due, for at most TANDEM_NOTIFY_GRACE
 * (default 5s). What is left stays in the outbox for the next engine or `tandem notifications deliver`.
 */
async function flushNotifications(orchestrator: Orchestrator): Promise<void> {
  const grace = process.env.TANDEM_NOTIFY_GRACE;
  const left = await orchestrator.notifications.drain(grace ? parseDuration(grace) : DEFAULT_NOTIFY_GRACE_MS);
  if (left > 0) {
    process.stderr.write(
      `${left} notification(s) not delivered yet; they stay in the outbox (\`tandem notifications\`).\n`,
    );
  }
}

/**
 * After a command created a release: with `wait`, runs it to its end and returns the exit code (a
 * local CLI drives it in this process; through a server it follows the server's events); without,
 * reports where it stands (CI summary, --json) and returns 0.
 */
export async function runOrReturn(
  client: TandemClient,
  local: Orchestrator | undefined,
  release: ReleaseState,
  wait: boolean,
  options: { json?: boolean },
): Promise<number> {
  if (wait) {
    return local
      ? driveWithProgress(local, [release.id], { json: options.json, created: true })
      : followRemote(client, release.id, Boolean(options.json));
  }
  reportToCi([release], { now: client.now(), annotate: false, out: process.stdout });
  if (options.json) printJson(release);
  return EXIT.ok;
}
