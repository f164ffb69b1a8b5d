import { setTimeout as sleep } from "node:timers/promises";
import type { TandemClient } from "../client.js";
import { TandemError } from "../core/errors.js";
import { isTerminal, type ReleaseState } from "../core/types.js";
import { EXIT, printJson } from "./context.js";
import { releaseSummary } from "./format.js";
import { listenForInterrupt } from "./interrupt.js";
import { ProgressView } from "./progress.js";
import { reportToCi } from "./step-summary.js";

/** What `tandem status --watch` reads, through either transport. */
export type ReleaseSource = Pick<TandemClient, "release" | "events" | "isDriven" | "now">;

export interface WatchOptions {
  json: boolean;
  /** How often the release is read again. Default 500ms. */
  intervalMs?: number;
  /** Give up (TANDEM_ERR_TIMEOUT, exit 3) when the release has not ended after this long. */
  timeoutMs?: number;
}

/**
 * `tandem status RELEASE --watch`: prints the release's events as they come (on a terminal, the
 * release's status block is redrawn under them) until it ends, then its summary; returns the exit
 * code of the release (0 succeeded, 1 otherwise), 130 when interrupted. It only reads: whoever
 * drives the release (`tandem serve`, `tandem engine`, a `deploy`) keeps driving it.
 */
export async function watchRelease(
  source: ReleaseSource,
  id: string,
  options: WatchOptions,
): Promise<number> {
  const now = () => source.now();
  const out = options.json ? process.stderr : process.stdout;
  const view = new ProgressView(out);
  const controller = new AbortController();
  const interrupt = listenForInterrupt(() => controller.abort(new Error("interrupted")));
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : now() + options.timeoutMs;
  let after = 0;
  const showEvents = async () => {
    for (const event of await source.events(id, after)) {
      after = Math.max(after, event.seq ?? after);
      view.event(event);
    }
  };
  try {
    let release: ReleaseState;
    let warned = false;
    for (;;) {
      await showEvents();
      release = await source.release(id);
      if (isTerminal(release.status)) break;
      view.render(release, now());
      if (!warned && !(await source.isDriven(id))) {
        warned = true;
        process.stderr.write(
          `no engine is driving release ${id} yet: it moves once \`tandem engine\` or \`tandem serve\` runs\n`,
        );
      }
      if (controller.signal.aborted) {
        process.stderr.write("\nstopped watching; the release goes on.\n");
        return EXIT.interrupted;
      }
      if (now() >= deadline) {
        throw new TandemError(
          "TANDEM_ERR_TIMEOUT",
          `release ${id} is still ${release.status.replace(/_/g, " ")} after the watch's --timeout`,
          { hint: "it goes on; watch it again with `tandem status RELEASE --watch`" },
        );
      }
      await sleep(options.intervalMs ?? 500, undefined, { signal: controller.signal }).catch(() => undefined);
    }
    await showEvents();
    if (options.json) printJson(release);
    else process.stdout.write(`\n${releaseSummary(release, now())}\n`);
    reportToCi([release], { now: now(), annotate: true, out });
    return release.status === "succeeded" ? EXIT.ok : EXIT.releaseFailed;
  } finally {
    interrupt.dispose();
  }
}
