import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { interpolateEnv, interpolateEnvString } from "./interpolate.js";
import { parseConfig, parseConfigWithRaw, parseServiceSnapshot } from "./loader.js";
import { clearSecrets, redactSecrets, registerSecret } from "./redact.js";
import { FILE, problems, yaml } from "./test-helpers.js";

afterEach(() => clearSecrets());

const text = yaml`
  project: shop
  services:
    api:
      target:
        type: process
        command: [node, server.js, --token, "\${env:API_TOKEN}"]
        cwd: releases/\${version}
        env:
          DATABASE_URL: postgres://app:\${secret:DB_PASSWORD}@db/\${env:DB_NAME:-shop}
          REGION: \${env:REGION:-eu-west-1}
`;
const env = { API_TOKEN: "tok-123456", DB_PASSWORD: "hunter22" };

describe("env interpolation", () => {
  it("replaces variables in strings, uses :- defaults, leaves other placeholders alone", () => {
    const { target } = parseConfig(text, FILE, { env }).services.api!;
    expect(target).toMatchObject({
      command: ["node", "server.js", "--token", "tok-123456"],
      cwd: `releases/\${version}`,
      env: { DATABASE_URL: "postgres://app:hunter22@db/shop", REGION: "eu-west-1" },
    });
  });

  it("an empty variable takes the default, like the shell's :-", () => {
    expect(interpolateEnv(`\${env:X:-fallback}`, { X: "" }).value).toBe("fallback");
    expect(interpolateEnv(`\${env:X}`, { X: "" }).value).toBe("");
  });

  it(`registers \${secret:} values as secrets, and redacts them; \${env:} values stay readable`, () => {
    parseConfig(text, FILE, { env });
    expect(redactSecrets("connect with tok-123456 and hunter22 in eu-west-1")).toBe(
      "connect with tok-123456 and *** in eu-west-1",
    );
  });

  it(`\${secret:NAME:-default} reads the environment like \${env:}, and the default is a secret too`, () => {
    const { value } = interpolateEnv(`a=\${secret:A} b=\${secret:B:-fallback-value}`, { A: "alpha-value" });
    expect(value).toBe("a=alpha-value b=fallback-value");
    expect(redactSecrets(value)).toBe("a=*** b=***");
  });

  it("never redacts values shorter than 4 characters", () => {
    registerSecret("abc");
    registerSecret("abcd");
    expect(redactSecrets("abc abcd")).toBe("abc ***");
  });

  it("a missing variable is located and named, never showing values", () => {
    expect(problems(text, { API_TOKEN: "tok-123456" })).toEqual([
      "9:23 services.api.target.env.DATABASE_URL: environment variable DB_PASSWORD is not set",
    ]);
  });

  it("secret values do not leak into other error messages", () => {
    const leaky = `project: shop\nservices:\n  api:\n    target: { type: sim, replicas: "\${secret:N}" }\n`;
    const [issue] = problems(leaky, { N: "very-secret-value" });
    expect(issue).toContain("services.api.target.replicas");
    expect(issue).not.toContain("very-secret-value");
  });

  it("a malformed placeholder is an error", () => {
    expect(interpolateEnv(`\${env:1BAD}`, {}).problems[0]!.message).toContain("invalid placeholder");
    expect(() => interpolateEnvString(`\${env:MISSING}`, {})).toThrow(
      "environment variable MISSING is not set",
    );
  });
});

describe("service snapshots", () => {
  it("keep placeholders (no secrets) and rebuild the same ServiceConfig later", () => {
    const { config, raw } = parseConfigWithRaw(text, FILE, { env });
    expect(JSON.stringify(raw)).not.toContain("tok-123456");
    expect(JSON.stringify(raw)).not.toContain("hunter22");
    expect(raw.services.api).toMatchObject({
      target: { command: ["node", "server.js", "--token", `\${env:API_TOKEN}`] },
    });
    const stored = JSON.parse(JSON.stringify(raw.services.api));
    expect(parseServiceSnapshot(stored, "api", { env })).toEqual(config.services.api);
  });

  it("include the defaults merged at the time", () => {
    const { raw } = parseConfigWithRaw(
      "project: shop\ndefaults:\n  pauseTimeout: 1h\nservices:\n  api:\n    target: { type: sim }\n",
      FILE,
    );
    expect(raw.services.api).toEqual({ target: { type: "sim" }, pauseTimeout: "1h" });
    expect(parseServiceSnapshot(raw.services.api, "api").pauseTimeout).toBe(3_600_000);
  });

  it("report a variable missing at rebuild time as a ConfigError naming the service", () => {
    const { raw } = parseConfigWithRaw(text, FILE, { env });
    try {
      parseServiceSnapshot(raw.services.api, "api", { env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
        "services.api.target.command[3]: environment variable API_TOKEN is not set",
        "services.api.target.env.DATABASE_URL: environment variable DB_PASSWORD is not set",
      ]);
    }
  });
});
