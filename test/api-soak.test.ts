import { getEventListeners } from "node:events";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { describe, expect, it } from "vitest";
import { ReleaseDriver } from "../src/api/driver.js";
import { useApiFixture } from "../src/api/test-fixture.js";

/**
 * Soak (issue 12, finding 7): the server and its release driver run thousands of requests and engine
 * passes in virtual time; listeners on the long-lived signal, the process's active handles and its
 * heap stay flat.
 */

const api = useApiFixture({ stream: { pollMs: 50 } });

const ROUNDS = 300;
const REQUESTS_PER_ROUND = 10;

interface Sample {
  listeners: number;
  resources: number;
  heap: number;
}

function sample(signal: AbortSignal): Sample {
  (globalThis as { gc?: () => void }).gc?.();
  return {
    listeners: getEventListeners(signal, "abort").length,
    resources: process.getActiveResourcesInfo().length,
    heap: process.memoryUsage().heapUsed,
  };
}

describe("soak", () => {
  it(`keeps listeners, handles and memory flat over ${ROUNDS * REQUESTS_PER_ROUND} requests and thousands of engine passes`, async () => {
    const { fixture, seed } = api;
    await fixture.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = fixture.app.server.address() as AddressInfo;
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4, headersTimeout: 15_000 });
    const driver = new ReleaseDriver(fixture.orchestrator, {
      clock: fixture.clock,
      log: { debug() {}, info() {}, warn() {}, error() {} },
      pollMs: 1_000,
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    const viewer = { authorization: `Bearer ${seed.tokens.viewer}` };
    const get = async (path: string) => {
      const response = await pool.request({ method: "GET", path, headers: viewer });
      await response.body.dump({ limit: 8 * 1024 * 1024 });
      return response.statusCode;
    };
    const paths = [
      "/api/v1/releases",
      `/api/v1/releases/${seed.s2}`,
      `/api/v1/releases/${seed.s2}/events`,
      "/api/v1/report",
      "/api/v1/audit?limit=20",
      "/api/v1/registry",
      "/api/v1/versions",
      "/api/v1/whoami",
      "/metrics",
      "/api/v1/report?since=1970-01-01&until=9999-12-31",
    ];
    try {
      driver.start();
      // One more release beside the two the seed left waiting for approval: three driven at once.
      const created = await pool.request({
        method: "POST",
        path: "/api/v1/releases",
        headers: { authorization: `Bearer ${seed.tokens.deployer}`, "content-type": "application/json" },
        body: JSON.stringify({ services: ["web@3.0.0"], environment: "staging" }),
      });
      expect(created.statusCode).toBe(201);
      await created.body.dump();

      let warm: Sample | undefined;
      const statuses = new Map<number, number>();
      let maxListeners = 0;
      for (let round = 0; round < ROUNDS; round++) {
        await fixture.clock.advance(1_000); // five passes of every driven release, and a driver scan
        const answers = await Promise.all(paths.map(get));
        for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
        maxListeners = Math.max(maxListeners, getEventListeners(driver.signal, "abort").length);
        if (round === 50) warm = sample(driver.signal);
      }
      expect(driver.driving().length).toBe(3);
      const end = sample(driver.signal);

      expect(Object.fromEntries(statuses)).toEqual({ 200: ROUNDS * 9, 400: ROUNDS });
      // On the driver's signal: its own sleep between scans and one for all releases, however many it
      // drives (there was one more per driven release).
      expect(maxListeners).toBeLessThanOrEqual(2);
      expect(end.listeners).toBeLessThanOrEqual(2);
      expect(end.resources).toBeLessThanOrEqual(warm!.resources + 4);
      expect(end.heap - warm!.heap).toBeLessThan(64 * 1024 * 1024);
      expect(warnings.filter((w) => w.includes("MaxListeners"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      await driver.stop();
      await pool.close();
    }
  }, 240_000);
});
