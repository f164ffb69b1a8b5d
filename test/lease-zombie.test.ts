import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { holderIsDead } from "../src/engine/lease.js";
import { isProcessRunning } from "./helpers/processes.js";
import { waitFor } from "./helpers/wait.js";

/**
 * A SIGKILLed engine whose parent has not reaped it yet is a zombie; `kill(pid, 0)` still succeeds on a
 * zombie. The lease must treat it as dead so that `tandem engine` takes over at once (this happens
 * whenever the engine's parent does not wait for it: a shell that exec'd another program, a container
 * whose PID 1 reaps late).
 */
describe("lease takeover from a dead engine", () => {
  let parent: ReturnType<typeof spawn> | undefined;

  afterEach(() => {
    if (parent?.pid !== undefined && parent.exitCode === null) parent.kill("SIGKILL");
    parent = undefined;
  });

  it("treats a killed engine that is still a zombie as dead", async () => {
    // sh starts a child, prints its pid, then becomes `sleep`, which never reaps it.
    parent = spawn("sh", ["-c", "sleep 30 & echo $!; exec sleep 30"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let output = "";
    parent.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const enginePid = await waitFor("the child's pid", () => Number(output.trim()) || undefined);
    process.kill(enginePid, "SIGKILL");
    await waitFor("the child to be a zombie", () => !isProcessRunning(enginePid));

    expect(holderIsDead(`${hostname()}:${enginePid}:abc123`)).toBe(true);
  });
});
