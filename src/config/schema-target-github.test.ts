import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "./loader.js";
import { clearSecrets, redactSecrets } from "./redact.js";
import { FILE, problems, yaml } from "./test-helpers.js";

afterEach(() => clearSecrets());

describe("the github-actions target's configuration", () => {
  it("applies the documented defaults, reads the token from the environment and registers it as a secret", () => {
    const config = parseConfig(
      yaml`
        project: shop
        services:
          backend:
            target:
              type: github-actions
              owner: shop
              repo: backend
              workflow: deploy.yml
              token: \${env:GITHUB_TOKEN}
              inputs: { image: "ghcr.io/shop/backend:\${version}", replicas: 3 }
      `,
      FILE,
      { env: { GITHUB_TOKEN: "ghp_configtoken123" } },
    );
    expect(config.services.backend!.target).toEqual({
      type: "github-actions",
      owner: "shop",
      repo: "backend",
      workflow: "deploy.yml",
      ref: "main",
      inputs: { image: `ghcr.io/shop/backend:\${version}`, replicas: "3" },
      token: "ghp_configtoken123",
      baseUrl: "https://api.github.com",
      startTimeout: 120_000,
      pollInterval: 5_000,
      timeout: 1_800_000,
      replicas: 1,
    });
    expect(redactSecrets("Authorization: token ghp_configtoken123")).toBe("Authorization: token ***");
  });

  it("takes a numeric workflow id, a GitHub Enterprise base URL and the optional workflows", () => {
    const config = parseConfig(
      yaml`
        project: shop
        services:
          web:
            target:
              type: github-actions
              owner: shop
              repo: frontend
              workflow: 4242
              ref: release
              token: t0ken-value
              baseUrl: https://github.example.com/api/v3/
              pollInterval: 30s
              rollbackWorkflow: rollback.yml
              promoteWorkflow: 77
      `,
      FILE,
    );
    expect(config.services.web!.target).toMatchObject({
      workflow: "4242",
      ref: "release",
      baseUrl: "https://github.example.com/api/v3",
      pollInterval: 30_000,
      rollbackWorkflow: "rollback.yml",
      promoteWorkflow: "77",
    });
  });

  it("rejects a missing repository, a poll interval above 30s and an unknown field, located", () => {
    expect(
      problems(yaml`
        project: shop
        services:
          web:
            target:
              type: github-actions
              owner: shop
              workflow: deploy.yml
              token: x
              pollInterval: 1m
              workflows: deploy.yml
      `),
    ).toEqual([
      '4:5 services.web.target.repo: missing required field "repo"',
      "9:21 services.web.target.pollInterval: pollInterval must be more than 0 and at most 30s",
      '10:7 services.web.target: unknown field "workflows", did you mean "workflow"?',
    ]);
  });
});
