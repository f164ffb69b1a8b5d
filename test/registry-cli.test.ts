import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { VersionMetadata } from "../src/core/types.js";
import type { RegistryView } from "../src/registry/view.js";
import { describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";

/** Two services on the sim target (nothing to start), two environments. */
const CONFIG = `project: shop
environments:
  staging: {}
  production: {}
services:
  api:
    target: { type: sim }
  web:
    target: { type: sim }
`;

const AS_CI = { env: { TANDEM_USER: "registry-test" } };

describe("tandem registry", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  async function ok(p: TestProject, args: string[]): Promise<string> {
    const result = await p.cli(args, AS_CI);
    expect(result.code, describeRun(args, result)).toBe(0);
    return result.stdout;
  }

  it("publishes versions and shows what runs where with each live version's requirements", async () => {
    project = TestProject.withConfigText(CONFIG);
    const p = project;
    writeFileSync(join(p.dir, "web-manifest.yaml"), "requires:\n  api: ^2.4\n");
    expect(await ok(p, ["registry", "publish", "api", "2.3.1", "--provides", "orders-api:1.0.0"])).toContain(
      "published api@2.3.1",
    );
    // Deployed before web's metadata was published: a release with web's requirements would be refused.
    for (const version of ["api@2.3.1", "web@1.8.0"]) await ok(p, ["deploy", version, "--env", "staging"]);
    await ok(p, [
      "registry",
      "publish",
      "web",
      "1.8.0",
      "--manifest",
      join(p.dir, "web-manifest.yaml"),
      "--requires",
      "orders-api=^1",
    ]);

    const versions = await p.cliJson<VersionMetadata[]>(["registry", "versions", "web"], 0, AS_CI);
    expect(versions).toEqual([
      expect.objectContaining({
        service: "web",
        version: "1.8.0",
        provides: {},
        requires: { api: "^2.4", "orders-api": "^1" },
        source: "publish",
        publishedBy: "registry-test",
      }),
    ]);
    expect(await ok(p, ["registry", "versions", "web"])).toMatch(
      /web@1\.8\.0 {2}published .* by registry-test \(publish\)\n {2}provides: -\n {2}requires: api \^2\.4, orders-api \^1/,
    );

    const view = await p.cliJson<RegistryView>(["registry", "--env", "staging"]);
    expect(view.environments.map((e) => e.environment)).toEqual(["staging"]);
    const staging = view.environments[0]!;
    expect(staging.services.map((s) => `${s.service}@${s.version}`)).toEqual(["api@2.3.1", "web@1.8.0"]);
    expect(staging.services[1]?.releaseId).toMatch(/\S/);
    expect(staging.requirements).toEqual([
      {
        consumer: "web@1.8.0",
        requirement: "api",
        range: "^2.4",
        satisfied: false,
        providers: [{ provider: "api@2.3.1", provides: "2.3.1", satisfies: false }],
      },
      {
        consumer: "web@1.8.0",
        requirement: "orders-api",
        range: "^1",
        satisfied: true,
        providers: [{ provider: "api@2.3.1", provides: "1.0.0", satisfies: true }],
      },
    ]);

    const text = await ok(p, ["registry"]);
    expect(text).toMatch(/staging:\n {2}api +2\.3\.1 +since \S+ \S+ +release \S+\n {2}web +1\.8\.0 /);
    expect(text).toContain("✗ web@1.8.0 requires api ^2.4: not api@2.3.1");
    expect(text).toContain("✓ web@1.8.0 requires orders-api ^1: api@2.3.1 (orders-api 1.0.0)");
    expect(text).toMatch(/production:\n {2}api +\(none\)\n {2}web +\(none\)\n/);
  });

  it("refuses an unknown service, an invalid range and an unknown environment with exit code 2", async () => {
    project = TestProject.withConfigText(CONFIG);
    const unknown = await project.cli(["registry", "publish", "wbe", "1.0.0"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('TANDEM_ERR_INVALID_REQUEST: unknown service "wbe"; services: api, web');
    expect(unknown.stderr).toContain('did you mean "web"?');

    const range = await project.cli(["registry", "publish", "web", "1.0.0", "--requires", "api:^2.x.q"]);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('--requires "api:^2.x.q": "^2.x.q" is not a semver range');

    const env = await project.cli(["registry", "--env", "prod"]);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('unknown environment "prod"; environments: staging, production');

    expect(await project.cliJson<VersionMetadata[]>(["registry", "versions", "web"])).toEqual([]);
  });
});
