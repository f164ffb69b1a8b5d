import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/paths.js";

/** The compiled module (`npm test` builds first), run in a real process that receives real signals. */
const MODULE = join(REPO_ROOT, "dist/cli/interrupt.js");

/** A process that winds down for 300ms after the first signal, then exits 130: as `tandem deploy` does. */
const SCRIPT = `
const { listenForInterrupt } = await import(${JSON.stringify(MODULE)});
const listener = listenForInterrupt(() => {
  process.stdout.write("first\\n");
  setTimeout(() => { listener.dispose(); setTimeout(() => process.exit(130), 200); }, 100);
});
process.stdout.write("ready\\n");
setInterval(() => {}, 1000);
`;

describe("listenForInterrupt", () => {
  it("acts on the first SIGTERM only, and a second one (timeout's to the process group) does not kill", async () => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", SCRIPT], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      const deadline = Date.now() + 10_000;
      while (!out.includes("ready") && Date.now() < deadline && child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(out).toContain("ready");
      child.kill("SIGTERM");
      child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 150));
      // After dispose, still within the wind-down: one more signal is ignored too.
      child.kill("SIGTERM");
      const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
      expect(signal).toBeNull();
      expect(code).toBe(130);
      expect(out.match(/first/g)).toHaveLength(1);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
