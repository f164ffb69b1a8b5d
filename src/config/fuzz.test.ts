import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { MUTATION_NAMES, mutations } from "./fuzz-mutations.fixtures.js";
import { parseConfig } from "./loader.js";
import { FILE } from "./test-helpers.js";

/** A valid configuration using most features, anchors and a merge key included; small, so loads are quick. */
const VALID = `# fuzzed by fuzz.test.ts
project: shop
environments:
  staging: {}
  production:
    after: staging
    approval: { required: 1, approvers: [alice, bob], timeout: 4h }
    services:
      web: { router: { listen: 9080 } }
      api: { router: { listen: 9081 } }
defaults:
  health:
    - { type: http, path: /health, period: 1s, timeout: 1s, failureThreshold: 3 }
services:
  web:
    target:
      type: process
      command: [node, server.js]
      cwd: ./releases/\${version}   # relative to this file
      replicas: 2
      env:
        NODE_ENV: production
    router: { type: builtin, listen: 8080 }
    strategy:
      canary:
        steps:
          - setWeight: 10
          - pause: 1m
          - analysis: golden
          - pause: {}
  api:
    dependsOn: [web]
    target: &process
      type: process
      command: [node, api.js]
      cwd: ./api/\${version}
      env: { DATABASE_URL: "\${env:DATABASE_URL}" }
    router: { type: builtin, listen: 8081 }
    strategy: { blueGreen: { autoPromote: 1m, scaleDownDelay: 30s } }
  worker:
    dependsOn: [api]
    target:
      <<: *process
      command: [node, worker.js]
    strategy: { recreate: {} }
analysis:
  golden:
    interval: 5s
    metrics:
      - { name: errors, provider: { type: builtin, metric: error_rate }, failureCondition: "> 0.01" }
notifications:
  - { type: webhook, url: "https://hooks.example.com/tandem", on: [release.failed] }
`;

const ENV = { DATABASE_URL: "postgres://db/shop" };
const COUNT = 2_000;
/** Per load: a load takes milliseconds (the largest texts ~100 ms); this leaves room for a busy machine. */
const BOUND_MS = 2_000;
const LOCATED = new RegExp(`^${FILE.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+:\\d+: \\S`);
const STACK_FRAME = /\n\s+at |\bat .*\.(?:ts|js):\d+/;

interface Outcome {
  accepted: number;
  refused: number;
  slowest: { name: string; ms: number };
}

/**
 * Loads one text; returns what is wrong with the outcome, or undefined when it was accepted or refused
 * with located TANDEM_ERR_CONFIG issues in time. Plain checks (thousands of `expect`s would dominate).
 */
function check(name: string, text: string, outcome: Outcome): string | undefined {
  const started = performance.now();
  let error: unknown;
  try {
    parseConfig(text, FILE, { env: ENV });
  } catch (caught) {
    error = caught;
  }
  const ms = performance.now() - started;
  if (ms > outcome.slowest.ms) outcome.slowest = { name, ms };
  if (ms > BOUND_MS) return `${name}: took ${ms.toFixed(0)} ms`;
  if (error === undefined) {
    outcome.accepted++;
    return undefined;
  }
  outcome.refused++;
  const detail = `${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  if (!(error instanceof ConfigError) || error.code !== "TANDEM_ERR_CONFIG")
    return `not a ConfigError: ${detail}`;
  if (error.issues.length === 0) return `no issues: ${detail}`;
  for (const issue of error.issues) {
    if (issue.file !== FILE || !(issue.line >= 1) || !(issue.column >= 1)) {
      return `unlocated issue ${JSON.stringify(issue)}: ${detail}`;
    }
  }
  for (const line of error.message.split("\n")) {
    if (!LOCATED.test(line)) return `message line without file:line:col ${JSON.stringify(line)}: ${detail}`;
  }
  if (STACK_FRAME.test(error.message)) return `stack trace in the message: ${detail}`;
  return undefined;
}

describe("fuzzed configurations", () => {
  it("the unmutated configuration is valid", () => {
    const config = parseConfig(VALID, FILE, { env: ENV });
    expect(Object.keys(config.services)).toEqual(["web", "api", "worker"]);
    expect(config.services.worker?.target).toMatchObject({ type: "process", command: ["node", "worker.js"] });
  });

  it(`${COUNT} mutations: each accepted or refused with located TANDEM_ERR_CONFIG issues, in time`, () => {
    const outcome: Outcome = { accepted: 0, refused: 0, slowest: { name: "", ms: 0 } };
    const seen = new Set<string>();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const failures: string[] = [];
    for (const mutation of mutations(VALID, 12, COUNT)) {
      for (const name of mutation.name.split(" ")[1]!.split("+")) seen.add(name);
      const failure = check(mutation.name, mutation.text, outcome);
      if (failure !== undefined && failures.length < 5) failures.push(failure);
    }
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    console.log(
      `fuzz: ${COUNT} mutations in ${seconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} s of CPU), ${outcome.accepted} accepted, ${outcome.refused} refused; slowest ${outcome.slowest.name} ${outcome.slowest.ms.toFixed(0)} ms`,
    );
    expect(failures).toEqual([]);
    // Every kind of mutation ran, and the fuzz found both outcomes (it is not refusing everything).
    expect([...seen].sort()).toEqual([...MUTATION_NAMES].sort());
    expect(outcome.refused).toBeGreaterThan(COUNT / 2);
    expect(outcome.accepted).toBeGreaterThan(10);
  }, 60_000);
});
