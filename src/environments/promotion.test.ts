import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EnvironmentConfig, TandemConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { Status } from "../core/types.js";
import { release, rollout } from "../store/conformance.fixtures.js";
import { SqliteStore } from "../store/sqlite.js";
import { checkPromotionOrder, nextEnvironments } from "./promotion.js";

function environment(name: string, after?: string): EnvironmentConfig {
  return { name, ...(after ? { after } : {}), freeze: [], hooks: { pre: [], post: [] }, services: {} };
}

const config = {
  project: "shop",
  environments: {
    dev: environment("dev"),
    staging: environment("staging", "dev"),
    production: environment("production", "staging"),
    "production-eu": environment("production-eu", "staging"),
  },
} as Partial<TandemConfig> as TandemConfig;

describe("nextEnvironments", () => {
  it("lists the environments declared after the given one, in file order", () => {
    expect(nextEnvironments(config, "dev")).toEqual(["staging"]);
    expect(nextEnvironments(config, "staging")).toEqual(["production", "production-eu"]);
    expect(nextEnvironments(config, "production")).toEqual([]);
    expect(nextEnvironments(config, "nowhere")).toEqual([]);
  });
});

describe("checkPromotionOrder", () => {
  let dir: string;
  let store: SqliteStore;
  let count = 0;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tandem-promotion-"));
    store = new SqliteStore(join(dir, "tandem.db"));
    await store.migrate();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Stores a finished release of `environment` with one rollout per `service@version:status`. */
  async function released(
    environment: string,
    status: Status,
    rollouts: string[],
    project = "shop",
  ): Promise<void> {
    const id = `r${++count}`;
    await store.createRelease(
      release(id, {
        environment,
        status,
        project,
        createdAt: count * 1000,
        rollouts: rollouts.map((entry) => {
          const [service, rest] = entry.split("@") as [string, string];
          const [version, rolloutStatus = status] = rest.split(":") as [string, Status?];
          return rollout(service, version, rolloutStatus);
        }),
      }),
      [],
    );
  }

  async function refusal(environment: string, services: string[]): Promise<TandemError> {
    const request = services.map((entry) => {
      const [service, version] = entry.split("@") as [string, string];
      return { service, version };
    });
    const error = await checkPromotionOrder(store, config, environment, request).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof TandemError)) throw new Error(`expected a refusal, got ${String(error)}`);
    return error;
  }

  it("accepts anything into an environment without `after`", async () => {
    await expect(
      checkPromotionOrder(store, config, "dev", [{ service: "web", version: "1.8.0" }]),
    ).resolves.toBe(undefined);
    await expect(
      checkPromotionOrder(store, config, "unknown", [{ service: "web", version: "1.8.0" }]),
    ).resolves.toBe(undefined);
  });

  it("accepts versions that succeeded in the previous environment, even in different releases", async () => {
    await released("staging", "succeeded", ["api@2.4.0", "web@1.7.0"]);
    await released("staging", "succeeded", ["web@1.8.0"]);
    await expect(
      checkPromotionOrder(store, config, "production", [
        { service: "api", version: "2.4.0" },
        { service: "web", version: "1.8.0" },
      ]),
    ).resolves.toBe(undefined);
  });

  it("refuses a version that never reached the previous environment, saying how to get it there", async () => {
    const error = await refusal("production", ["web@1.8.0"]);
    expect(error.code).toBe("TANDEM_ERR_INVALID_REQUEST");
    expect(error.message).toBe(
      "web@1.8.0 has not succeeded in staging yet, and production only accepts versions that did (environments.production.after: staging)",
    );
    expect(error.hint).toBe(
      "release it to staging first: tandem deploy web@1.8.0 --env staging; once that release succeeded, tandem promote RELEASE --to production",
    );
  });

  it("counts a version that a failed release left live (rollbackPolicy: service)", async () => {
    await released("staging", "failed", ["api@2.4.0:succeeded", "web@1.8.0:failed"]);
    await expect(
      checkPromotionOrder(store, config, "production", [{ service: "api", version: "2.4.0" }]),
    ).resolves.toBe(undefined);
    expect((await refusal("production", ["web@1.8.0"])).message).toMatch(/^web@1\.8\.0 has not succeeded/);
  });

  it("does not count a backed-out or unfinished rollout, another version, environment or project", async () => {
    await released("staging", "rolled_back", ["web@1.8.0:rolled_back", "api@2.4.0:failed"]);
    await released("staging", "running", ["web@1.8.0:succeeded"]);
    await released("staging", "succeeded", ["web@1.8.0:rolled_back", "api@2.4.0"]);
    await released("staging", "succeeded", ["web@1.8.1"]);
    await released("dev", "succeeded", ["web@1.8.0"]);
    await released("production-eu", "succeeded", ["web@1.8.0"]);
    await released("staging", "succeeded", ["web@1.8.0"], "other-project");
    const error = await refusal("production", ["web@1.8.0", "api@2.4.0"]);
    expect(error.message).toMatch(/^web@1\.8\.0 has not succeeded in staging yet/);
  });

  it("names every version that is missing", async () => {
    await released("dev", "succeeded", ["api@2.4.0", "web@1.8.0", "db@3.0.0"]);
    await released("staging", "succeeded", ["api@2.4.0"]);
    const error = await refusal("production", ["api@2.4.0", "web@1.8.0", "db@3.0.0"]);
    expect(error.message).toBe(
      "web@1.8.0 and db@3.0.0 have not succeeded in staging yet, and production only accepts versions that did (environments.production.after: staging)",
    );
    expect(error.hint).toMatch(
      /^release them to staging first: tandem deploy web@1\.8\.0 db@3\.0\.0 --env staging;/,
    );
    await expect(
      checkPromotionOrder(store, config, "staging", [
        { service: "web", version: "1.8.0" },
        { service: "db", version: "3.0.0" },
      ]),
    ).resolves.toBe(undefined);
  });
});
