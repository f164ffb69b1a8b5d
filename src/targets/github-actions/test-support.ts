import { ManualClock } from "../../core/clock.js";
import type { GitHubActionsTargetConfig } from "../../core/config.js";
import type { Logger } from "../../core/types.js";
import type { Store } from "../../store/types.js";
import { FakeGitHub, type FakeGitHubOptions } from "../../testing/fake-github.js";
import { MemoryInstances } from "../../testing/memory-instances.js";
import type { TargetContext } from "../types.js";
import { GitHubActionsTarget } from "./target.js";

/** A recognisable token: no error, log line or action record may ever contain it. */
export const TOKEN = "ghp_TANDEMtestTOKEN0123456789abcdefXYZ";

/** Everything the target logged, as text (message and fields). */
export class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  debug = (message: string, fields?: Record<string, unknown>) => this.push("debug", message, fields);
  info = (message: string, fields?: Record<string, unknown>) => this.push("info", message, fields);
  warn = (message: string, fields?: Record<string, unknown>) => this.push("warn", message, fields);
  error = (message: string, fields?: Record<string, unknown>) => this.push("error", message, fields);
  private push(level: string, message: string, fields?: Record<string, unknown>): void {
    this.lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  }
}

export interface Harness {
  fake: FakeGitHub;
  clock: ManualClock;
  store: MemoryInstances;
  log: CapturingLogger;
  config: GitHubActionsTargetConfig;
  target: GitHubActionsTarget;
  /** A second target on the same store and fake (an engine restarted), same configuration. */
  restarted(): GitHubActionsTarget;
  /** Another target on the same store and fake, with some configuration changed. */
  restartedWith(changes: Partial<GitHubActionsTargetConfig>): GitHubActionsTarget;
}

export async function harness(
  options: {
    script?: FakeGitHubOptions["script"];
    config?: Partial<GitHubActionsTargetConfig>;
    workflows?: FakeGitHubOptions["repos"][string]["workflows"];
  } = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const fake = await FakeGitHub.start({
    token: TOKEN,
    now: () => clock.now(),
    repos: {
      "shop/backend": {
        workflows: options.workflows ?? [
          { file: "deploy.yml", id: 1001 },
          { file: "rollback.yml", id: 1002 },
        ],
        branches: ["main", "release"],
      },
    },
    script: options.script,
  });
  const config: GitHubActionsTargetConfig = {
    type: "github-actions",
    owner: "shop",
    repo: "backend",
    workflow: "deploy.yml",
    ref: "main",
    inputs: {},
    token: TOKEN,
    baseUrl: fake.url,
    startTimeout: 120_000,
    pollInterval: 5_000,
    timeout: 1_800_000,
    replicas: 1,
    ...options.config,
  };
  const store = new MemoryInstances();
  const log = new CapturingLogger();
  const context: TargetContext = {
    project: "shop",
    environment: "staging",
    service: "backend",
    stateDir: "/nonexistent/state",
    baseDir: "/nonexistent",
    store: store as unknown as Store,
    clock,
    log,
  };
  return {
    fake,
    clock,
    store,
    log,
    config,
    target: new GitHubActionsTarget(config, context),
    restarted: () => new GitHubActionsTarget(config, context),
    restartedWith: (changes) => new GitHubActionsTarget({ ...config, ...changes }, context),
  };
}

/**
 * Settles `work`, which may wait on the manual clock while it talks HTTP to the fake in real time:
 * moves the clock by `stepMs` whenever something sleeps on it, otherwise lets real I/O run. Bounded.
 */
export async function drive<T>(clock: ManualClock, work: Promise<T>, stepMs = 1_000): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  const deadline = Date.now() + 15_000;
  while (!settled) {
    if (Date.now() > deadline) throw new Error("the work did not settle within 15s of real time");
    if (clock.pendingSleepers() > 0) await clock.advance(stepMs);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return watched;
}
