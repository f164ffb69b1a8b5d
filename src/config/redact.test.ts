// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings hold Tandem's own ${env:}/${secret:} placeholders
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "./loader.js";
import { clearSecrets, knownSecrets, redactSecrets, restoreEnvPlaceholders } from "./redact.js";
import { FILE, yaml } from "./test-helpers.js";

afterEach(() => clearSecrets());

const ENV = {
  HEALTH_MODE: "fail",
  REGION: "eu-west-1",
  API_TOKEN: "api-token-31337",
  SLACK_URL: "https://hooks.slack.com/services/T000/B000/slack-xyz",
  TEAMS_URL: "https://example.webhook.office.com/teams-xyz",
  HOOK_URL: "https://hooks.example.com/in",
  SIGNING: "signing-secret-123",
  SMTP_PASS: "smtp-pass-456",
  GH_TOKEN: "ghp_from-env-789",
  PROBE_AUTH: "Bearer probe-auth-000",
  HOOK_AUTH: "Bearer webhook-auth-111",
};

const text = yaml`
  project: shop
  hooks:
    pre:
      - { command: [migrate], env: { HEALTH_MODE: "\${env:HEALTH_MODE}", TOKEN: "\${secret:API_TOKEN}" } }
  services:
    api:
      target: { type: process, command: [node, server.js], env: { REGION: "\${env:REGION}" } }
      health: [{ type: http, headers: { Authorization: "\${env:PROBE_AUTH}", Accept: "\${env:REGION}" } }]
    deploy:
      target:
        type: github-actions
        owner: shop
        repo: deploy
        workflow: deploy.yml
        token: "\${env:GH_TOKEN}"
  notifications:
    - { type: slack, url: "\${env:SLACK_URL}" }
    - { type: teams, url: "\${env:TEAMS_URL}" }
    - { type: webhook, url: "\${env:HOOK_URL}", secret: "\${env:SIGNING}", headers: { Authorization: "\${env:HOOK_AUTH}" } }
    - { type: email, host: smtp.example.com, from: a@example.com, to: [b@example.com], auth: { user: tandem, pass: "\${env:SMTP_PASS}" } }
`;

describe("what is masked", () => {
  it("ordinary ${env:} settings stay readable: `probe http:/health failed`, not `***ed`", () => {
    parseConfig(text, FILE, { env: ENV });
    expect(redactSecrets("probe http:/health failed (HEALTH_MODE=fail) in eu-west-1")).toBe(
      "probe http:/health failed (HEALTH_MODE=fail) in eu-west-1",
    );
  });

  it("a ${secret:} value is masked", () => {
    parseConfig(text, FILE, { env: ENV });
    expect(redactSecrets("token api-token-31337 refused")).toBe("token *** refused");
  });

  it("a credential field is masked whatever its source, ${env:} included", () => {
    parseConfig(text, FILE, { env: ENV });
    const credentials = [
      ENV.SLACK_URL,
      ENV.TEAMS_URL,
      ENV.HOOK_URL,
      ENV.SIGNING,
      ENV.SMTP_PASS,
      ENV.GH_TOKEN,
      ENV.PROBE_AUTH,
      ENV.HOOK_AUTH,
    ];
    for (const value of credentials) expect(redactSecrets(`sent ${value} away`), value).toBe("sent *** away");
    expect(knownSecrets()).not.toContain("fail");
    expect(knownSecrets()).not.toContain("eu-west-1");
  });

  it("a credential written out in the file is masked too", () => {
    parseConfig(
      "project: shop\nservices:\n  api: { target: { type: sim } }\nnotifications:\n  - { type: slack, url: https://hooks.slack.com/services/written-out }\n",
      FILE,
    );
    expect(redactSecrets("POST https://hooks.slack.com/services/written-out")).toBe("POST ***");
  });
});

describe("what is stored instead", () => {
  it("puts the placeholder back for a ${secret:} and for the ${env:} a credential was read from", () => {
    parseConfig(text, FILE, { env: ENV });
    expect(
      restoreEnvPlaceholders({
        token: "api-token-31337",
        url: ENV.SLACK_URL,
        mode: "fail",
        region: "eu-west-1",
      }),
    ).toEqual({ token: "${secret:API_TOKEN}", url: "${env:SLACK_URL}", mode: "fail", region: "eu-west-1" });
  });
});
