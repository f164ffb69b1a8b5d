import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "./core/clock.js";
import { isTerminal } from "./core/types.js";
import { Orchestrator } from "./orchestrator.js";
import { resetSimInstances } from "./targets/sim.js";
import { FakeHookRunner } from "./testing/fake-hooks.js";

const PASSWORD = "s3cret-db-pa55word";
const TOKEN = "tok-4f9a1c77e2";

const YAML = `
project: shop
hooks:
  pre:
    - name: migrate
      command: [migrate, --region, "\${env:REGION}"]
      env: { DB_PASSWORD: "\${secret:DB_PASSWORD}", API_TOKEN: "\${secret:API_TOKEN}" }
services:
  api:
    target: { type: sim }
    hooks:
      post:
        - { name: smoke, command: [smoke], env: { HEALTH_MODE: "\${env:HEALTH_MODE}", TOKEN: "\${secret:API_TOKEN}" } }
`;
const ENV = {
  TANDEM_USER: "ci",
  DB_PASSWORD: PASSWORD,
  API_TOKEN: TOKEN,
  REGION: "eu-west-1",
  HEALTH_MODE: "fail",
};

let dir: string;

beforeEach(() => {
  resetSimInstances();
  dir = mkdtempSync(join(tmpdir(), "tandem-secrets-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("secrets in hooks", () => {
  it("reach the hook's environment, never the store", async () => {
    const file = join(dir, "tandem.yaml");
    writeFileSync(file, YAML);
    const clock = new ManualClock();
    const hooks = new FakeHookRunner(clock);
    const tandem = new Orchestrator(file, {
      clock,
      env: ENV,
      plugins: { createHookRunner: () => hooks },
    });
    try {
      const { id } = await tandem.createRelease({ services: ["api@1.0.0"] });
      let state = await tandem.engine.reconcileOnce(id);
      for (let i = 0; i < 60 && !isTerminal(state.status); i++) {
        await clock.advance(1_000);
        state = await tandem.engine.reconcileOnce(id);
      }
      expect(state.status).toBe("succeeded");

      const ran = Object.fromEntries(hooks.starts.map((start) => [start.name, start.spec]));
      expect(ran.migrate?.command).toEqual(["migrate", "--region", "eu-west-1"]);
      expect(ran.migrate?.env).toEqual({ DB_PASSWORD: PASSWORD, API_TOKEN: TOKEN });
      expect(ran.smoke?.env).toEqual({ HEALTH_MODE: "fail", TOKEN });

      const stored = JSON.stringify([await tandem.getStatus(id), await tandem.events(id)]);
      expect(stored).toContain(`\${secret:DB_PASSWORD}`);
      for (const secret of [PASSWORD, TOKEN]) expect(stored).not.toContain(secret);
    } finally {
      await tandem.close();
    }
    // Nor anywhere in the database files (the WAL included).
    const stateDir = join(dir, ".tandem");
    for (const name of readdirSync(stateDir).filter((n) => n.includes(".db"))) {
      const bytes = readFileSync(join(stateDir, name)).toString("latin1");
      for (const secret of [PASSWORD, TOKEN])
        expect(bytes.includes(secret), `${secret} in ${name}`).toBe(false);
    }
  });

  it("fails the hook, naming the variable, when an engine without it drives the release", async () => {
    const file = join(dir, "tandem.yaml");
    writeFileSync(file, YAML);
    const clock = new ManualClock();
    const creator = new Orchestrator(file, { clock, env: ENV });
    const { id } = await creator.createRelease({ services: ["api@1.0.0"] });
    await creator.close();

    // The file changed since (it no longer names the variables) and this engine's environment lacks them.
    writeFileSync(file, "project: shop\nservices:\n  api:\n    target: { type: sim }\n");
    const hooks = new FakeHookRunner(clock);
    const engine = new Orchestrator(file, {
      clock,
      env: { REGION: "eu-west-1" },
      plugins: { createHookRunner: () => hooks },
    });
    try {
      const final = await engine.engine.reconcileOnce(id);
      expect(final.status).toBe("failed");
      expect(final.reason).toMatch(/hook migrate cannot start: environment variable DB_PASSWORD is not set/);
      expect(hooks.starts).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it(`masks \${secret:} values in events, and leaves ordinary \${env:} settings readable`, async () => {
    const file = join(dir, "tandem.yaml");
    writeFileSync(file, YAML);
    const clock = new ManualClock();
    const hooks = new FakeHookRunner(clock).outcome("smoke", {
      exitCode: 1,
      output: `probe http:/health failed (HEALTH_MODE=fail, token ${TOKEN})`,
    });
    const tandem = new Orchestrator(file, { clock, env: ENV, plugins: { createHookRunner: () => hooks } });
    try {
      const { id } = await tandem.createRelease({ services: ["api@1.0.0"] });
      let state = await tandem.engine.reconcileOnce(id);
      for (let i = 0; i < 60 && !isTerminal(state.status); i++) {
        await clock.advance(1_000);
        state = await tandem.engine.reconcileOnce(id);
      }
      const failed = (await tandem.events(id)).find((event) => event.type === "hook.failed");
      expect(failed?.message).toContain("probe http:/health failed (HEALTH_MODE=fail, token ***)");
      expect(JSON.stringify(await tandem.events(id))).not.toContain(TOKEN);
      expect(JSON.stringify(await tandem.events(id))).not.toContain("***ed");
    } finally {
      await tandem.close();
    }
  });

  it("refuses to start a hook whose command line holds a credential's value (reused via env)", async () => {
    const url = "https://hooks.slack.com/services/T1/B2/reused-credential";
    const file = join(dir, "tandem.yaml");
    writeFileSync(
      file,
      `project: shop
hooks:
  pre:
    - { name: announce, command: [announce, "\${env:SLACK_URL}"] }
services:
  api:
    target: { type: sim }
notifications:
  - { type: slack, url: "\${env:SLACK_URL}", on: [release.failed] }
`,
    );
    const clock = new ManualClock();
    const hooks = new FakeHookRunner(clock);
    const tandem = new Orchestrator(file, {
      clock,
      env: { TANDEM_USER: "ci", SLACK_URL: url },
      plugins: { createHookRunner: () => hooks },
    });
    try {
      const { id } = await tandem.createRelease({ services: ["api@1.0.0"] });
      const state = await tandem.engine.reconcileOnce(id);
      expect(state.status).toBe("failed");
      expect(state.reason).toMatch(/hook announce cannot start: a secret value is part of its command line/);
      expect(hooks.starts).toEqual([]);
      const stored = JSON.stringify([await tandem.getStatus(id), await tandem.events(id)]);
      expect(stored).not.toContain(url);
      expect(stored).toContain(`\${env:SLACK_URL}`);
    } finally {
      await tandem.close();
    }
  });
});
