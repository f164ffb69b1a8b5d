import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { backendOf, send, startUpstream, type TestUpstream } from "../src/routers/builtin/test-upstream.js";

// The router daemon with --workers 2 (needs `npm run build`): two worker processes share the listener, the
// primary keeps the admin API, sends the table to both and adds up their statistics.

const DAEMON = fileURLToPath(new URL("../dist/routers/builtin/daemon.js", import.meta.url));
const TOKEN = "workers-test-token-0123456789";

let daemon: ChildProcess | undefined;
let upstreams: TestUpstream[] = [];

afterEach(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    const exited = new Promise((resolve) => daemon!.once("exit", resolve));
    daemon.kill("SIGKILL");
    await exited;
  }
  daemon = undefined;
  await Promise.all(upstreams.map((u) => u.kill()));
  upstreams = [];
});

function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text === "" ? [] : text.split(" ").map(Number);
}

async function startDaemon(args: string[]): Promise<{ listenPort: number; adminPort: number; pid: number }> {
  const child = spawn(process.execPath, [DAEMON, "--port", "0", "--name", "workers-test", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TANDEM_ROUTER_TOKEN: TOKEN },
  });
  daemon = child;
  child.stderr!.resume();
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error("no ready line within 15 s")), 15_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(buffered.slice(0, newline));
      }
    });
  });
  const ready = JSON.parse(line) as { ready: boolean; listenPort: number; adminPort: number; pid: number };
  if (!ready.ready) throw new Error(`daemon did not start: ${line}`);
  return ready;
}

async function admin(port: number, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.ok).toBe(true);
  return response.json();
}

describe("router daemon --workers", () => {
  it("serves from two workers with one table, adds up their statistics, and stops them on shutdown", async () => {
    const ready = await startDaemon(["--workers", "2"]);
    const workers = childPids(ready.pid);
    expect(workers).toHaveLength(2);
    const upstream = await startUpstream("v1");
    upstreams.push(upstream);
    await admin(ready.adminPort, "PUT", "/routes", { backends: [backendOf("v1", 100, [upstream])] });
    expect(await admin(ready.adminPort, "GET", "/routes")).toMatchObject({ backends: [{ version: "v1" }] });
    // Each request on its own connection: the primary spreads connections over the workers.
    const bodies = await Promise.all(Array.from({ length: 40 }, () => send(ready.listenPort, "/")));
    expect(bodies.every((r) => r.status === 200 && r.body === "v1")).toBe(true);
    expect(upstream.received).toBe(40);
    // The workers report every 100 ms; wait for both reports to count all 40.
    const deadline = Date.now() + 5_000;
    let stats = (await admin(ready.adminPort, "GET", "/stats")) as Record<string, { requests: number }>;
    while ((stats.v1?.requests ?? 0) < 40 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      stats = (await admin(ready.adminPort, "GET", "/stats")) as Record<string, { requests: number }>;
    }
    expect(stats.v1?.requests).toBe(40);

    const exited = new Promise<number | null>((resolve) => daemon!.once("exit", (code) => resolve(code)));
    await admin(ready.adminPort, "POST", "/shutdown");
    expect(await exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });

  it("refuses a bad worker count", async () => {
    await expect(startDaemon(["--workers", "0"])).rejects.toThrow(/--workers must be a whole number/);
  });
});
