import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { TargetConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { silentLogger } from "../core/types.js";
import { memoryInstanceStore } from "../testing/memory-instances.js";
import { GitHubActionsTarget } from "./github-actions/target.js";
import { createTarget } from "./index.js";
import { ProcessTarget } from "./process.js";
import { SimTarget } from "./sim.js";
import type { TargetContext } from "./types.js";

const context: TargetContext = {
  project: "shop",
  environment: "staging",
  service: "api",
  stateDir: "/tmp/state",
  baseDir: "/tmp",
  store: memoryInstanceStore().store,
  clock: new ManualClock(),
  log: silentLogger,
};

describe("createTarget", () => {
  it("builds the target for each known type", () => {
    expect(
      createTarget({ type: "process", command: ["node"], env: {}, replicas: 1, stopTimeout: 1 }, context),
    ).toBeInstanceOf(ProcessTarget);
    expect(
      createTarget({ type: "sim", replicas: 1, startupTime: 0, unhealthyVersions: [] }, context),
    ).toBeInstanceOf(SimTarget);
    const github: TargetConfig = {
      type: "github-actions",
      owner: "shop",
      repo: "api",
      workflow: "deploy.yml",
      ref: "main",
      inputs: {},
      token: "t0ken",
      baseUrl: "https://api.github.com",
      startTimeout: 1,
      pollInterval: 1,
      timeout: 1,
      replicas: 1,
    };
    expect(createTarget(github, context)).toBeInstanceOf(GitHubActionsTarget);
  });

  it("throws UnknownTypeError for an unknown type, listing the known ones", () => {
    const config = { type: "kubernetes" } as unknown as TargetConfig;
    expect(() => createTarget(config, context)).toThrow(UnknownTypeError);
    expect(() => createTarget(config, context)).toThrow(
      /unknown target type "kubernetes"; known types: process, sim, command, github-actions$/,
    );
  });
});
