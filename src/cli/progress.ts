import type { ReleaseState, TandemEvent } from "../core/types.js";
import { eventLine, releaseHeader, rolloutLine } from "./format.js";

/**
 * Live progress of a release. On a terminal, events scroll above a status block that is redrawn in
 * place; elsewhere (CI logs, pipes) each event is one plain line and nothing is redrawn.
 */
export class ProgressView {
  private drawnLines = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly live = Boolean(out.isTTY),
  ) {}

  event(event: TandemEvent): void {
    // The next step's line says as much; the event stays in the log (`tandem status RELEASE`).
    if (event.type === "rollout.step_completed") return;
    this.clear();
    this.out.write(`${eventLine(event)}\n`);
  }

  render(release: ReleaseState, now: number): void {
    if (!this.live) return;
    this.clear();
    const lines = [
      ...releaseHeader(release).split("\n"),
      ...release.rollouts.map((r) => `  ${rolloutLine(r, now)}`),
    ];
    this.out.write(`${lines.join("\n")}\n`);
    this.drawnLines = lines.length;
  }

  private clear(): void {
    if (!this.live || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }
}
