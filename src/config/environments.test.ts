import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceIn } from "../core/config.js";
import { applyOverride, promotionProblems } from "./environments.js";
import { loadConfigWithRaw, parseConfig } from "./loader.js";
import { FILE, yaml } from "./test-helpers.js";

const text = yaml`
  project: shop
  environments:
    staging: {}
    production:
      after: staging
      approval: { required: 2, approvers: [alice, bob, carol], timeout: 4h }
      hooks:
        pre: [{ command: [./notify.sh, production] }, { command: "cd /srv/app && make smoke", shell: true }]
      services:
        api:
          target:
            replicas: 4
            env: { LOG_LEVEL: warn, DB_URL: "\${env:PROD_DB_URL}" }
          router: { listen: 9080 }
          strategy: { blueGreen: { autoPromote: 2m } }
        web:
          dependsOn: [api]
          router: { listen: 9081, previewListen: 9082 }
          health: [{ type: tcp }]
  defaults:
    router: { type: builtin, host: 0.0.0.0 }
  services:
    api:
      target:
        type: process
        command: [node, server.js]
        env: { LOG_LEVEL: debug, REGION: eu, DB_URL: "\${env:DB_URL}" }
        replicas: 2
      router: { listen: 8080 }
      strategy: { canary: { steps: [{ setWeight: 20, name: fifth }, { pause: 1m }] } }
    web:
      dependsOn: [{ service: api, step: fifth }]
      target: { type: sim }
      router: { listen: 8081 }
      health: [{ type: http }]
`;
const ENV = { DB_URL: "postgres://staging", PROD_DB_URL: "postgres://production" };

describe("environment overrides", () => {
  const config = parseConfig(text, FILE, { env: ENV });
  const production = config.environments.production!;

  it("merge replicas, router ports and env vars key by key into the service of that environment", () => {
    const api = production.services.api!;
    expect(api.target).toEqual({
      type: "process",
      command: ["node", "server.js"],
      env: { LOG_LEVEL: "warn", REGION: "eu", DB_URL: "postgres://production" },
      replicas: 4,
      stopTimeout: 10_000,
    });
    expect(api.router).toEqual({
      type: "builtin",
      listen: 9080,
      host: "0.0.0.0",
      holdTimeout: 30_000,
      holdMaxRequests: 1000,
    });
    expect(production.services.web!.router).toMatchObject({
      listen: 9081,
      previewListen: 9082,
      host: "0.0.0.0",
    });
  });

  it("replace the strategy when the override names another kind, and lists such as health", () => {
    expect(production.services.api!.strategy).toEqual({
      type: "blueGreen",
      autoPromote: 120_000,
      scaleDownDelay: 30_000,
      progressDeadline: 300_000,
    });
    expect(production.services.web!.health.map((probe) => probe.type)).toEqual(["tcp"]);
  });

  it("leave the services as written, and other environments, untouched", () => {
    expect(config.services.api!.target).toMatchObject({
      replicas: 2,
      env: { LOG_LEVEL: "debug", REGION: "eu", DB_URL: "postgres://staging" },
    });
    expect(config.services.api!.strategy.type).toBe("canary");
    expect(config.environments.staging!.services).toEqual(config.services);
    expect(serviceIn(config, "staging", "api")).toEqual(config.services.api);
    expect(serviceIn(config, "production", "api")).toBe(production.services.api);
    expect(serviceIn(config, "production", "nope")).toBeUndefined();
  });

  it("carry the environment's promotion rule, approval gate and hooks, with defaults", () => {
    expect(production.after).toBe("staging");
    expect(production.approval).toEqual({
      required: 2,
      approvers: ["alice", "bob", "carol"],
      allowSelfApproval: false,
      timeout: 4 * 3_600_000,
      onTimeout: "reject",
      escalateTo: [],
    });
    expect(production.hooks.pre).toEqual([
      { name: "notify.sh", command: ["./notify.sh", "production"], shell: false, timeout: 300_000, env: {} },
      { name: "cd", command: ["cd /srv/app && make smoke"], shell: true, timeout: 300_000, env: {} },
    ]);
    expect(config.environments.staging).toEqual({
      name: "staging",
      freeze: [],
      hooks: { pre: [], post: [] },
      services: config.services,
    });
  });

  it("an environment written as `name:` alone is an empty one", () => {
    const minimal = "project: shop\nenvironments:\n  staging:\nservices:\n  api: { target: { type: sim } }\n";
    expect(parseConfig(minimal, FILE).environments.staging).toMatchObject({
      freeze: [],
      services: { api: {} },
    });
  });
});

describe("raw snapshots", () => {
  it("keep env placeholders uninterpolated per environment, while the config has it interpolated", () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-environments-"));
    writeFileSync(join(dir, "tandem.yaml"), text);
    const { config, raw } = loadConfigWithRaw(join(dir, "tandem.yaml"), { env: ENV });
    const rawApi = raw.environments.production!.api as { target: { env: Record<string, string> } };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder as written in the file
    expect(rawApi.target.env).toEqual({ LOG_LEVEL: "warn", REGION: "eu", DB_URL: "${env:PROD_DB_URL}" });
    expect(rawApi).toMatchObject({ router: { type: "builtin", listen: 9080, host: "0.0.0.0" } });
    expect(raw.environments.staging!.api).toEqual(raw.services.api);
    expect(JSON.stringify(raw)).not.toContain("postgres://");
    const api = config.environments.production!.services.api!;
    expect(api.target.type === "process" && api.target.env.DB_URL).toBe("postgres://production");
  });
});

describe("applyOverride", () => {
  it("merges a target or router of the same type, replaces one of another type", () => {
    const service = { target: { type: "sim", replicas: 2 }, router: { type: "builtin", listen: 1 } };
    expect(applyOverride(service, { target: { replicas: 3 } })).toEqual({
      target: { type: "sim", replicas: 3 },
      router: { type: "builtin", listen: 1 },
    });
    expect(applyOverride(service, { router: { type: "none" } })).toMatchObject({ router: { type: "none" } });
  });

  it("merges the same strategy, replaces another one, replaces lists", () => {
    const service = {
      strategy: { canary: { steps: [{ setWeight: 5 }], progressDeadline: "1m" } },
      dependsOn: ["a"],
    };
    expect(
      applyOverride(service, { strategy: { canary: { progressDeadline: "2m" } }, dependsOn: ["b"] }),
    ).toEqual({
      strategy: { canary: { steps: [{ setWeight: 5 }], progressDeadline: "2m" } },
      dependsOn: ["b"],
    });
    expect(applyOverride(service, { strategy: { recreate: {} } })).toMatchObject({
      strategy: { recreate: {} },
    });
  });
});

describe("promotionProblems", () => {
  it("accepts a chain, refuses an unknown environment, itself, and a cycle (reported at its members only)", () => {
    expect(
      promotionProblems({ dev: {}, staging: { after: "dev" }, production: { after: "staging" } }),
    ).toEqual([]);
    expect(promotionProblems({ staging: {}, production: { after: "stagin" } })).toEqual([
      {
        path: ["environments", "production", "after"],
        message: 'unknown environment "stagin", did you mean "staging"?',
      },
    ]);
    expect(promotionProblems({ production: { after: "production" } })[0]!.message).toBe(
      'environment "production" cannot come after itself',
    );
    const cycle = promotionProblems({ a: { after: "b" }, b: { after: "a" }, c: { after: "a" } });
    expect(cycle.map((problem) => problem.message)).toEqual([
      "promotion cycle: a -> b -> a; no release could ever enter them",
      "promotion cycle: b -> a -> b; no release could ever enter them",
    ]);
  });
});
