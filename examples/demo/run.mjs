// The quick start: releases the demo service four ways (canary, blue-green, rolling, recreate) with
// steady traffic flowing through Tandem's router, then releases a bad version that Tandem rolls back.
// Prints what happened to the traffic at the end. Run with `npm run demo` (builds first).
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startLoad } from "../../dist/testing/load.js";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "../../dist/cli/main.js");
const config = join(here, "tandem.yaml");
const ports = { checkout: 18081, catalog: 18082, search: 18083, reports: 18084 };

/** Runs the CLI as a person would, without blocking this process (the load generator keeps going). */
function tandem(...args) {
  console.log(`\n$ tandem ${args.join(" ")}`);
  const child = spawn(process.execPath, [cli, "-c", config, ...args], { stdio: "inherit" });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

function load(service) {
  return startLoad({
    url: `http://127.0.0.1:${ports[service]}/`,
    concurrency: 4,
    ratePerSecond: 100,
    durationMs: 120_000,
    maxRequests: 20_000,
  });
}

const outcomes = [];
async function release(service, version, expectedExit) {
  const traffic = load(service);
  const exit = await tandem("deploy", `${service}@${version}`, "--env", "staging");
  const report = await traffic.stop();
  outcomes.push({ service, version, exit, expectedExit, report });
}

rmSync(join(here, ".tandem"), { recursive: true, force: true });
await tandem("validate");
try {
  for (const service of Object.keys(ports)) {
    if ((await tandem("deploy", `${service}@1.0.0`, "--env", "staging")) !== 0)
      throw new Error(`first release of ${service} failed`);
  }
  await tandem("plan", "checkout@1.1.0", "--env", "staging");
  await release("checkout", "1.1.0", 0); // canary
  await release("catalog", "1.1.0", 0); // blue-green
  await release("search", "1.1.0", 0); // rolling
  await release("reports", "1.1.0", 0); // recreate: the router holds requests while no version is up
  await release("checkout", "2.0.0", 1); // bad: its health probe fails, Tandem rolls it back
  await tandem("history", "--env", "staging", "--limit", "10");
  await tandem("status");
} finally {
  await tandem("down", "--force");
}

console.log("\ntraffic through Tandem's router during each release:");
let surprises = 0;
for (const { service, version, exit, expectedExit, report } of outcomes) {
  const versions = Object.entries(report.versions)
    .map(([v, n]) => `${v}: ${n}`)
    .join(", ");
  const ok = exit === expectedExit && report.failed === 0;
  if (!ok) surprises++;
  console.log(
    `  ${ok ? "✓" : "✗"} ${service}@${version}: exit ${exit} (expected ${expectedExit}), ${report.sent} requests, ` +
      `${report.failed} failed, p99 ${report.latencyMs.p99.toFixed(1)}ms, served by ${versions}`,
  );
}
process.exitCode = surprises === 0 ? 0 : 1;
