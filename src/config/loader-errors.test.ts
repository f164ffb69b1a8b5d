import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { parseConfig } from "./loader.js";
import { FILE, problems, yaml } from "./test-helpers.js";

describe("configuration mistakes are located at file:line:col with a dotted path", () => {
  it("YAML syntax error", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim
    `;
    expect(problems(text)).toEqual([
      "5:1 : YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }",
    ]);
  });

  it("reports the absolute file in every issue and in the message", () => {
    try {
      parseConfig("project: shop\nservics: {}\n", "tandem.yaml", { env: {}, baseDir: "/project" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const issue = (error as ConfigError).issues.find((i) => i.line === 2)!;
      expect(issue.file).toBe(`${process.cwd()}/tandem.yaml`);
      expect((error as ConfigError).message).toContain(
        `${process.cwd()}/tandem.yaml:2:1: unknown field "servics"`,
      );
    }
  });

  it("unknown top-level key, with a suggestion", () => {
    const text = yaml`
      project: shop
      servics:
        api: { target: { type: sim } }
    `;
    expect(problems(text)).toEqual([
      '1:1 services: missing required field "services"',
      '2:1 : unknown field "servics", did you mean "services"?',
    ]);
  });

  it("misspelled field, with a suggestion, pointing at the key", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target:
            type: sim
            replcas: 2
    `;
    expect(problems(text)).toEqual([
      '6:7 services.api.target: unknown field "replcas", did you mean "replicas"?',
    ]);
  });

  it("unknown field far from any known one lists the known ones", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim, colour: blue }
    `;
    expect(problems(text)).toEqual([
      '4:26 services.api.target: unknown field "colour"; expected one of: type, replicas, startupTime, unhealthyVersions',
    ]);
  });

  it("wrong type", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target:
            type: sim
            replicas: two
    `;
    expect(problems(text)).toEqual([
      '6:17 services.api.target.replicas: expected a number, got the string "two"',
    ]);
  });

  it("negative replicas", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim, replicas: -1 }
    `;
    expect(problems(text)).toEqual(["4:36 services.api.target.replicas: replicas must be at least 1"]);
  });

  it("bad duration", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          pauseTimeout: 30 seconds
    `;
    expect(problems(text)).toEqual([
      '5:19 services.api.pauseTimeout: invalid duration "30 seconds"; write a number followed by a unit, e.g. "500ms", "30s", "5m", "1h30m"',
    ]);
  });

  it("unknown canary step, with a suggestion, at the step", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
          strategy:
            canary:
              steps:
                - setWeight: 5
                - pause: 1m
                - setWieght: 50
    `;
    expect(problems(text)).toEqual([
      '11:13 services.api.strategy.canary.steps[2]: unknown step "setWieght", did you mean "setWeight"?',
    ]);
  });

  it("setWeight above 100", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
          strategy:
            canary:
              steps: [{ setWeight: 150 }]
    `;
    expect(problems(text)).toEqual([
      "8:30 services.api.strategy.canary.steps[0].setWeight: setWeight must be between 0 and 100",
    ]);
  });

  it("unknown target type lists the known types", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target:
            type: kubernetes
    `;
    expect(problems(text)).toEqual([
      '5:13 services.api.target.type: unknown target type "kubernetes"; known types: process, sim, command, github-actions',
    ]);
  });

  it("unknown probe type", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          health: [{ type: htp }]
    `;
    expect(problems(text)).toEqual([
      '5:22 services.api.health[0].type: unknown probe type "htp"; known types: http, tcp, exec, grpc',
    ]);
  });

  it("missing required command points at the parent mapping's key", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target:
            type: process
            replicas: 2
    `;
    expect(problems(text)).toEqual(['4:5 services.api.target.command: missing required field "command"']);
  });

  it("dependsOn an unknown service, with a suggestion when close", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
        web:
          target: { type: sim }
          dependsOn: [apii, db]
    `;
    expect(problems(text)).toEqual([
      '7:17 services.web.dependsOn[0]: unknown service "apii", did you mean "api"?',
      '7:23 services.web.dependsOn[1]: unknown service "db"; expected one of: api, web',
    ]);
  });

  it("dependsOn itself, and a dependency cycle", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          dependsOn: [web]
        web:
          target: { type: sim }
          dependsOn: [api, web]
    `;
    expect(problems(text)).toEqual([
      "5:5 services.api.dependsOn: dependency cycle: api -> web -> api; the services could never start in order",
      '8:22 services.web.dependsOn[1]: service "web" cannot depend on itself',
    ]);
  });

  it("two builtin routers on the same listen port", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
        web:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
    `;
    expect(problems(text)).toEqual([
      "8:38 services.web.router.listen: port 8080 is already used by services.api.router.listen; give each listener its own port",
    ]);
  });

  it("a preview port may not be another listener's port", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080, previewListen: 8080 }
    `;
    expect(problems(text)).toEqual([
      "5:59 services.api.router.previewListen: port 8080 is already used by services.api.router.listen; give each listener its own port",
    ]);
  });

  it("canary without a router says what to add", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          strategy: { canary: {} }
    `;
    const [issue] = problems(text);
    expect(issue).toMatch(/^5:17 services\.api\.strategy\.canary: canary shifts traffic between versions/);
    expect(issue).toContain("add `router: { type: builtin, listen: <port> }`");
  });

  it("blue-green with router none", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          router: { type: none }
          strategy:
            blueGreen: { autoPromote: 1m }
    `;
    expect(problems(text)[0]).toMatch(/^7:7 services\.api\.strategy\.blueGreen: blueGreen shifts traffic/);
  });

  it("missing environment variable names the variable only", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target:
            type: process
            command: [node, server.js]
            env:
              SLACK: \${env:SLACK_URL}
    `;
    expect(problems(text)).toEqual([
      "8:16 services.api.target.env.SLACK: environment variable SLACK_URL is not set",
    ]);
  });

  it("maxSurge and maxUnavailable both 0", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          strategy:
            rolling:
              maxSurge: 0
    `;
    expect(problems(text)).toEqual([
      "7:19 services.api.strategy.rolling.maxSurge: maxSurge and maxUnavailable are both 0, so no instance could ever be replaced; set maxSurge: 1 or maxUnavailable: 1",
    ]);
  });

  it("an unknown strategy, and two strategies at once", () => {
    expect(
      problems("project: shop\nservices:\n  api:\n    target: { type: sim }\n    strategy: { canry: {} }\n"),
    ).toEqual(['5:17 services.api.strategy: unknown strategy "canry", did you mean "canary"?']);
    expect(
      problems(
        "project: shop\nservices:\n  api:\n    target: { type: sim }\n    strategy: { rolling: {}, recreate: {} }\n",
      ),
    ).toEqual([
      "5:15 services.api.strategy: choose exactly one strategy (canary, blueGreen, rolling or recreate); found rolling, recreate",
    ]);
  });

  it("a mistake in defaults is reported once, where it is written", () => {
    const text = yaml`
      project: shop
      defaults:
        health:
          - type: http
            period: 30 seconds
      services:
        api: { target: { type: sim } }
        web: { target: { type: sim } }
    `;
    expect(problems(text)).toEqual([
      '5:15 defaults.health[0].period: invalid duration "30 seconds"; write a number followed by a unit, e.g. "500ms", "30s", "5m", "1h30m"',
    ]);
  });

  it("reports every problem of the file at once, in file order", () => {
    const text = yaml`
      project: Shop
      services:
        api:
          target: { type: sim, replicas: 0 }
          router: { type: builtin }
          pauseTimeout: soon
    `;
    expect(problems(text)).toEqual([
      "1:10 project: use lowercase letters, digits and dashes (e.g. shop-api)",
      "4:36 services.api.target.replicas: replicas must be at least 1",
      '5:5 services.api.router.listen: missing required field "listen"',
      '6:19 services.api.pauseTimeout: invalid duration "soon"; write a number followed by a unit, e.g. "500ms", "30s", "5m", "1h30m"',
    ]);
  });

  it("an empty file, a bad service name, no services", () => {
    expect(problems("")).toEqual([
      "1:1 : the file is empty; start with `project: <name>` and a `services:` map (see `tandem init`)",
    ]);
    expect(problems("project: shop\nservices:\n  Api/x:\n    target: { type: sim }\n")).toEqual([
      '3:3 services: invalid name "Api/x": a service name uses letters, digits, dashes, dots and underscores',
    ]);
    expect(problems("project: shop\nservices: {}\n")).toEqual([
      "2:11 services: declare at least one service",
    ]);
  });

  it("a bad regular expression and status code in an http probe", () => {
    const text =
      "project: shop\nservices:\n  api:\n    target: { type: sim }\n    health: [{ type: http, body: '(', status: 700 }]\n";
    expect(problems(text)).toEqual([
      "5:34 services.api.health[0].body: Invalid regular expression: /(/: Unterminated group",
      "5:47 services.api.health[0].status: must be at most 599",
    ]);
  });

  it("uses FILE as given when absolute", () => {
    expect(FILE.startsWith("/")).toBe(true);
  });
});
