// The quick start: releases the demo service four ways (canary, blue-green, rolling, recreate) with
// steady traffic flowing through Tandem's router, then one release of a good backend and a bad
// frontend: the frontend fails its health checks and Tandem backs the backend out too.
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
/** One release of `services` (`{ checkout: "1.1.0" }`), with traffic through each of their routers. */
async function release(services, expectedExit) {
  const names = Object.keys(services);
  const traffic = names.map(load);
  const exit = await tandem("deploy", ...names.map((s) => `${s}@${services[s]}`), "--env", "staging");
  const reports = await Promise.all(traffic.map((t) => t.stop()));
  for (const [i, service] of names.entries()) {
    outcomes.push({ service, version: services[service], exit, expectedExit, report: reports[i] });
  }
}

rmSync(join(here, ".tandem"), { recursive: true, force: true });
await tandem("validate");
try {
  // One release of all four: checkout first, catalog once checkout is live, the others alongside.
  const first = Object.keys(ports).map((service) => `${service}@1.0.0`);
  if ((await tandem("deploy", ...first, "--env", "staging")) !== 0)
    throw new Error("the first release failed");
  await tandem("plan", "checkout@1.1.0", "--env", "staging");
  await release({ checkout: "1.1.0" }, 0); // canary
  await release({ catalog: "1.1.0" }, 0); // blue-green
  await release({ search: "1.1.0" }, 0); // rolling
  await release({ reports: "1.1.0" }, 0); // recreate: the router holds requests while no version is up
  await tandem("plan", "checkout@1.2.0", "catalog@2.0.0", "--env", "staging");
  // checkout 1.2.0 goes live, then catalog 2.0.0 fails its health probe: both end on 1.1.0.
  await release({ checkout: "1.2.0", catalog: "2.0.0" }, 1);
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
