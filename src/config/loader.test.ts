import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TandemError } from "../core/errors.js";
import { loadConfig, parseConfig } from "./loader.js";
import { FILE, yaml } from "./test-helpers.js";

const MINIMAL = "project: shop\nservices:\n  api:\n    target: { type: sim }\n";

describe("parseConfig", () => {
  it("fills every default and resolves paths against the file's directory", () => {
    const config = parseConfig(MINIMAL, FILE, { env: {} });
    expect(config).toMatchObject({
      project: "shop",
      file: FILE,
      baseDir: "/project",
      stateDir: "/project/.tandem",
      store: { type: "sqlite", path: "/project/.tandem/tandem.db" },
      environments: { default: { name: "default" } },
    });
    expect(config.services.api).toEqual({
      name: "api",
      target: { type: "sim", replicas: 1, startupTime: 0, unhealthyVersions: [] },
      router: { type: "none" },
      health: [],
      strategy: {
        type: "rolling",
        batchSize: { value: 1, percent: false },
        maxSurge: { value: 1, percent: false },
        maxUnavailable: { value: 0, percent: false },
        pauseBetweenBatches: 0,
        progressDeadline: 300_000,
      },
      dependsOn: [],
      hooks: { pre: [], post: [] },
      pauseTimeout: 86_400_000,
    });
  });

  it("honours stateDir, store path and baseDir", () => {
    const text = `${MINIMAL}stateDir: var/state\nstore: { type: sqlite, path: db/t.db }\n`;
    const config = parseConfig(text, FILE, { env: {}, baseDir: "/elsewhere" });
    expect(config.stateDir).toBe("/elsewhere/var/state");
    expect(config.store).toMatchObject({ path: "/elsewhere/db/t.db" });
    expect(parseConfig(`${MINIMAL}store: { type: sqlite, path: ":memory:" }\n`, FILE).store).toMatchObject({
      path: ":memory:",
    });
  });

  it("uses the default canary steps when none are given", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
          strategy: { canary: {} }
    `;
    expect(parseConfig(text, FILE).services.api!.strategy).toEqual({
      type: "canary",
      steps: [
        { setWeight: 5 },
        { pause: { duration: 300_000 } },
        { setWeight: 25 },
        { pause: { duration: 300_000 } },
        { setWeight: 50 },
        { pause: { duration: 300_000 } },
      ],
      progressDeadline: 300_000,
    });
  });

  it("normalises steps, amounts, statuses, durations and probe names", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: process, command: [node, server.js], env: { PORT_OFFSET: 2, DEBUG: true } }
          router: { type: builtin, listen: 8080 }
          health:
            - { type: http, status: 200, headers: { Host: api } }
            - { type: http, status: [200, 204], body: "ok" }
            - { type: tcp, port: 5432, period: 1h30m }
            - { type: exec, command: [./check.sh], name: custom }
            - { type: grpc }
          strategy:
            canary:
              steps: [{ setWeight: 10 }, { pause: 500ms }, { pause: { duration: 2m } }, { pause: {} }, { pause: null }]
        web:
          target: { type: sim }
          strategy: { rolling: { batchSize: "25%", maxSurge: 0, maxUnavailable: "10%" } }
        admin:
          target: { type: sim }
          router: { type: builtin, listen: 8081 }
          strategy: { blueGreen: { autoPromote: 1m } }
    `;
    const { api, web, admin } = parseConfig(text, FILE).services;
    expect(api!.target).toMatchObject({ env: { PORT_OFFSET: "2", DEBUG: "true" }, stopTimeout: 10_000 });
    expect(api!.health.map((probe) => probe.name)).toEqual([
      "http:/health",
      "http:/health#2",
      "tcp:5432",
      "custom",
      "grpc",
    ]);
    expect(api!.health[0]).toMatchObject({ status: [200, 200], headers: { Host: "api" }, timeout: 1000 });
    expect(api!.health[1]).toMatchObject({ status: [200, 204], body: "ok" });
    expect(api!.health[2]).toMatchObject({ period: 5_400_000 });
    expect(api!.strategy).toMatchObject({
      steps: [
        { setWeight: 10 },
        { pause: { duration: 500 } },
        { pause: { duration: 120_000 } },
        { pause: {} },
        { pause: {} },
      ],
    });
    expect(web!.strategy).toMatchObject({
      batchSize: { value: 25, percent: true },
      maxSurge: { value: 0, percent: false },
      maxUnavailable: { value: 10, percent: true },
    });
    expect(admin!.strategy).toEqual({
      type: "blueGreen",
      autoPromote: 60_000,
      scaleDownDelay: 30_000,
      progressDeadline: 300_000,
    });
  });
});

describe("defaults", () => {
  const text = yaml`
    project: shop
    defaults:
      router: { type: builtin, host: 0.0.0.0 }
      health: [{ type: http }, { type: tcp }]
      target: { type: process, command: [node, app.js], env: { A: "1" }, stopTimeout: 5s }
      strategy: { canary: { steps: [{ setWeight: 50 }], progressDeadline: 1m } }
      pauseTimeout: 1h
    services:
      api:
        router: { listen: 8080 }
        target: { env: { B: "2" } }
        strategy: { canary: { progressDeadline: 2m } }
      web:
        router: { type: builtin, listen: 8081 }
        health: [{ type: exec, command: [./ready.sh] }]
        target: { type: sim }
        strategy: { recreate: {} }
        pauseTimeout: 5m
  `;

  it("merge into every service; service fields win, objects of the same kind merge", () => {
    const { api } = parseConfig(text, FILE).services;
    expect(api!.router).toEqual({
      type: "builtin",
      listen: 8080,
      host: "0.0.0.0",
      holdTimeout: 30_000,
      holdMaxRequests: 1000,
    });
    expect(api!.target).toEqual({
      type: "process",
      command: ["node", "app.js"],
      env: { A: "1", B: "2" },
      replicas: 1,
      stopTimeout: 5000,
    });
    expect(api!.health.map((probe) => probe.type)).toEqual(["http", "tcp"]);
    expect(api!.strategy).toEqual({ type: "canary", steps: [{ setWeight: 50 }], progressDeadline: 120_000 });
    expect(api!.pauseTimeout).toBe(3_600_000);
  });

  it("a health list replaces the default one; another type or strategy replaces the default object", () => {
    const { web } = parseConfig(text, FILE).services;
    expect(web!.health.map((probe) => probe.name)).toEqual(["exec:./ready.sh"]);
    expect(web!.target).toEqual({ type: "sim", replicas: 1, startupTime: 0, unhealthyVersions: [] });
    expect(web!.strategy).toEqual({ type: "recreate", progressDeadline: 300_000 });
    expect(web!.pauseTimeout).toBe(300_000);
  });
});

describe("loadConfig", () => {
  it("reads a file, or tandem.yaml in a directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-config-"));
    writeFileSync(join(dir, "tandem.yaml"), MINIMAL);
    expect(loadConfig(join(dir, "tandem.yaml")).baseDir).toBe(dir);
    expect(loadConfig(dir).file).toBe(join(dir, "tandem.yaml"));
  });

  it("a missing file is TANDEM_ERR_CONFIG_NOT_FOUND with a hint to run tandem init", () => {
    const missing = join(tmpdir(), "no-such-dir-tandem", "tandem.yaml");
    try {
      loadConfig(missing);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TandemError);
      expect((error as TandemError).code).toBe("TANDEM_ERR_CONFIG_NOT_FOUND");
      expect((error as TandemError).message).toContain(missing);
      expect((error as TandemError).hint).toContain("tandem init");
    }
  });

  const demo = join(import.meta.dirname, "../../examples/demo/tandem.yaml");
  it.skipIf(!existsSync(demo))("loads the demo project", () => {
    const config = loadConfig(demo);
    expect(Object.keys(config.services).length).toBeGreaterThan(0);
  });
});
