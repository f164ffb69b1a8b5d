// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings hold Tandem's own ${secret:NAME} placeholders
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "./loader.js";
import { clearSecrets } from "./redact.js";
import { FILE, problems, yaml } from "./test-helpers.js";

afterEach(() => clearSecrets());

const ENV = { TOKEN: "tok-5d81c0ffee" };
const ADVICE =
  'Pass it through env (env: { NAME: "${secret:NAME}" }) and read $NAME in the program or script';

describe("a ${secret:} in a command line", () => {
  it("is refused, located, in a hook's argv, a shell script, a step hook and a probe", () => {
    const text = yaml`
      project: shop
      hooks:
        pre:
          - { command: [migrate, "--token=\${secret:TOKEN}"] }
          - { command: "curl -H 'X: \${secret:TOKEN}' https://x", shell: true }
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
          health: [{ type: exec, command: [check, "\${secret:TOKEN}"] }]
          strategy:
            canary:
              steps: [{ hook: { command: [smoke, "\${secret:TOKEN}"] } }]
    `;
    const found = problems(text, ENV);
    expect(found).toHaveLength(4);
    expect(found.map((line) => line.split(": ")[0])).toEqual([
      "4:28 hooks.pre[0].command[1]",
      "5:18 hooks.pre[1].command",
      "10:45 services.api.health[0].command[1]",
      "13:44 services.api.strategy.canary.steps[0].hook.command[1]",
    ]);
    for (const line of found) expect(line).toContain(ADVICE);
    for (const line of found) expect(line).not.toContain(ENV.TOKEN);
  });

  it("is refused in a process target's command and a command target's actions, and in a cwd", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: process, command: [node, server.js, "\${secret:TOKEN}"] }
        web:
          target:
            type: command
            deploy: [./deploy.sh, "\${secret:TOKEN}"]
            status: "./status.sh \${secret:TOKEN}"
            shell: true
            cwd: "/srv/\${secret:TOKEN}"
    `;
    expect(problems(text, ENV).map((line) => line.split(": ").slice(0, 2).join(": "))).toEqual([
      "4:57 services.api.target.command[2]: a ${secret:} value must not be part of a command line",
      "8:29 services.web.target.deploy[1]: a ${secret:} value must not be part of a command line",
      "9:15 services.web.target.status: a ${secret:} value must not be part of a command line",
      "11:12 services.web.target.cwd: a ${secret:} value cannot be part of a working directory",
    ]);
  });

  it("is accepted in env (also an env variable named `command`), and ${env:} in a command is fine", () => {
    const text = yaml`
      project: shop
      hooks:
        pre:
          - { command: [migrate, "--region=\${env:REGION}"], env: { TOKEN: "\${secret:TOKEN}", command: "\${secret:TOKEN}" } }
      services:
        api:
          target: { type: command, deploy: [./deploy.sh], env: { TOKEN: "\${secret:TOKEN}" } }
    `;
    const config = parseConfig(text, FILE, { env: { ...ENV, REGION: "eu-west-1" } });
    expect(config.hooks.pre[0]).toMatchObject({
      command: ["migrate", "--region=eu-west-1"],
      env: { TOKEN: ENV.TOKEN, command: ENV.TOKEN },
    });
  });
});
