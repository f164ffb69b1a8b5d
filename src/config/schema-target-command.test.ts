import { describe, expect, it } from "vitest";
import { parseConfig } from "./loader.js";
import { FILE, problems, yaml } from "./test-helpers.js";

describe("type: command target configuration", () => {
  it("fills the defaults: no shell, deploy 10m, others 30s, one deployment, cwd relative to the file", () => {
    const config = parseConfig(
      yaml`
        project: shop
        services:
          api:
            target:
              type: command
              deploy: [./deploy.sh, "\${version}"]
              status: [./status.sh, "\${version}"]
              cwd: ops
            strategy: { rolling: {} }
      `,
      FILE,
      { env: {} },
    );
    expect(config.services.api!.target).toEqual({
      type: "command",
      deploy: ["./deploy.sh", "${version}"],
      status: ["./status.sh", "${version}"],
      cwd: "ops",
      shell: false,
      env: {},
      deployTimeout: 600_000,
      timeout: 30_000,
      replicas: 1,
    });
  });

  it("with shell: true a command is one string; canary is allowed without a router when setWeight is set", () => {
    const config = parseConfig(
      yaml`
        project: shop
        services:
          api:
            target:
              type: command
              shell: true
              deploy: "docker compose up -d api-\${version}"
              setWeight: "./lb.sh \${weight}"
              endpoint: { port: 8080 }
              timeout: 5s
            strategy: { canary: { steps: [{ setWeight: 10 }] } }
      `,
      FILE,
      { env: {} },
    );
    expect(config.services.api!.target).toMatchObject({
      deploy: ["docker compose up -d api-${version}"],
      setWeight: ["./lb.sh ${weight}"],
      endpoint: { host: "127.0.0.1", port: 8080 },
      timeout: 5_000,
    });
  });

  it("a string command without shell: true is located and explained", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target:
            type: command
            deploy: ./deploy.sh 2.0
          strategy: { rolling: {} }
    `;
    expect(problems(text)).toEqual([
      "6:15 services.api.target.deploy: a command is a list of arguments (run without a shell), e.g. [./deploy.sh, 2.0]; or set shell: true to run this string with /bin/sh -c",
    ]);
  });

  it("requires deploy, refuses replicas other than 1 and unknown fields", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target:
            type: command
            replicas: 3
            stauts: [./status.sh]
          strategy: { rolling: {} }
    `;
    expect(problems(text)).toEqual([
      '4:5 services.api.target.deploy: missing required field "deploy"',
      "6:17 services.api.target.replicas: a command target runs one deployment per version: replicas is 1",
      '7:7 services.api.target: unknown field "stauts", did you mean "status"?',
    ]);
  });
});
