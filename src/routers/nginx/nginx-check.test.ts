import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RouterError } from "../../core/errors.js";
import type { RouteTable } from "../types.js";
import { findNginx, testConfig } from "./binary.js";
import { renderNginxConfig } from "./config-text.js";
import { ensureNginx, SETTINGS } from "./test-nginx.js";

const endpoint = (id: string, port: number, host = "127.0.0.1") => ({ id, host, port });

const TABLES: Record<string, RouteTable> = {
  empty: { backends: [] },
  "one version": { backends: [{ version: "1.0.0", weight: 100, endpoints: [endpoint("a", 4001)] }] },
  "canary 5%": {
    backends: [
      { version: "1.0.0", weight: 95, endpoints: [endpoint("a", 4001), endpoint("b", 4002)] },
      { version: "1.1.0-rc.1+build.5", weight: 5, endpoints: [endpoint("c", 4003)] },
    ],
  },
  "0/100 with an empty version": {
    backends: [
      { version: "1.0.0", weight: 0, endpoints: [] },
      { version: "1.1.0", weight: 100, endpoints: [endpoint("c", 4003, "::1")] },
    ],
  },
  "three versions, fractions": {
    backends: [
      { version: "a", weight: 33.33, endpoints: [endpoint("a", 1)] },
      { version: "b", weight: 33.33, endpoints: [endpoint("b", 2)] },
      { version: "c", weight: 33.34, endpoints: [endpoint("c", 3, "localhost")] },
    ],
    preview: { version: "c", endpoints: [endpoint("p", 3)] },
  },
};

describe("nginx -t on generated configurations (real nginx)", () => {
  let binary: string;
  let prefix: string;

  beforeAll(async () => {
    binary = await ensureNginx();
    prefix = mkdtempSync(join(tmpdir(), "tandem-nginx-check-"));
    mkdirSync(join(prefix, "logs"));
    mkdirSync(join(prefix, "conf"));
    mkdirSync(join(prefix, "temp"));
  }, 600_000);

  afterAll(() => {
    rmSync(prefix, { recursive: true, force: true });
  });

  for (const [name, table] of Object.entries(TABLES)) {
    it(`accepts the configuration of: ${name}`, async () => {
      const file = join(prefix, "conf", `${name.replace(/\W+/g, "-")}.conf`);
      writeFileSync(file, renderNginxConfig(table, { ...SETTINGS, prefix, previewListen: 8081 }));
      await expect(testConfig(binary, prefix, file, AbortSignal.timeout(20_000))).resolves.toBeUndefined();
    });
  }

  it("reports nginx's own message when it refuses a configuration", async () => {
    const table: RouteTable = {
      backends: [{ version: "1", weight: 100, endpoints: [endpoint("x", 80, "127.0.0.1:1")] }],
    };
    const file = join(prefix, "conf", "refused.conf");
    writeFileSync(file, renderNginxConfig(table, { ...SETTINGS, prefix }));
    const refused = testConfig(binary, prefix, file, AbortSignal.timeout(20_000));
    await expect(refused).rejects.toThrow(RouterError);
    await expect(refused).rejects.toThrow(/nginx refused the generated configuration: .*invalid port/);
  });

  it("finds the binary on PATH or in /usr/sbin, and says how to install it when it is missing", () => {
    expect(findNginx(undefined)).toMatch(/\/nginx$/);
    expect(findNginx(undefined, "/nonexistent")).toMatch(/\/nginx$/);
    expect(() => findNginx("/nonexistent/nginx")).toThrow(
      /\/nonexistent\/nginx \(router.nginx\) does not exist/,
    );
    const missing = (() => {
      try {
        findNginx("/nonexistent/nginx");
      } catch (error) {
        return error as RouterError;
      }
    })();
    expect(missing?.code).toBe("TANDEM_ERR_ROUTER");
    expect(missing?.hint).toMatch(/apt-get install nginx/);
  });
});
