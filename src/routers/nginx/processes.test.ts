import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { childrenOf, workerIdentities, workerRunning } from "./processes.js";

describe("worker identities from /proc", () => {
  it("lists a process's children with start times, and tells a running worker from an exited one", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      await once(child, "spawn");
      const mine = workerIdentities(process.pid).find((w) => w.pid === child.pid);
      expect(mine?.startTime).toMatch(/^\d+$/);
      expect(workerRunning(mine!)).toBe(true);
      // The same pid with another start time is another process (a reused pid).
      expect(workerRunning({ pid: mine!.pid, startTime: `${Number(mine!.startTime) + 1}` })).toBe(false);
      child.kill("SIGKILL");
      await once(child, "exit");
      expect(workerRunning(mine!)).toBe(false);
      expect(childrenOf(process.pid)).not.toContain(child.pid);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
