import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusProvider } from "../src/analysis/providers/prometheus.js";
import { measureContext, startServer, type TestServer } from "../src/analysis/providers/test-helpers.js";
import { ensureDebianProgram } from "./helpers/debian-program.js";
import { freePort } from "./helpers/ports.js";
import { waitFor } from "./helpers/wait.js";

/**
 * The prometheus provider against a real Prometheus server (Debian's package, installed by
 * test/support/ensure-prometheus.sh when missing), scraping counters this test serves once a second.
 */

/** Per scrape, each version serves this many more requests and errors: the error ratio is exact. */
const PER_SCRAPE = {
  "2.0.0": { ok: 97, errors: 3 },
  "1.0.0": { ok: 199, errors: 1 },
} as const;

let dir: string;
let prometheus: ChildProcess | undefined;
let address: string;
let metrics: TestServer;
let scrapes = 0;
/** Each version's total requests as served at each scrape. */
const servedTotals: Record<string, number[]> = { "2.0.0": [], "1.0.0": [] };

function exposition(): string {
  scrapes += 1;
  const lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter"];
  for (const [version, per] of Object.entries(PER_SCRAPE)) {
    // Started at one scrape's worth, so both series of a version are proportional from zero.
    lines.push(`http_requests_total{version="${version}",code="200"} ${per.ok * scrapes}`);
    lines.push(`http_requests_total{version="${version}",code="500"} ${per.errors * scrapes}`);
    servedTotals[version]!.push((per.ok + per.errors) * scrapes);
  }
  return `${lines.join("\n")}\n`;
}

async function queryNumber(query: string): Promise<number> {
  const response = await fetch(`${address}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await response.json()) as { data?: { result?: { value: [number, string] }[] } };
  return Number(body.data?.result?.[0]?.value[1] ?? 0);
}

beforeAll(async () => {
  const binary = await ensureDebianProgram("prometheus");
  dir = mkdtempSync(join(tmpdir(), "tandem-prometheus-"));
  metrics = await startServer((request, response) => {
    if (request.url !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    response.end(exposition());
  });
  const target = metrics.url.replace("http://", "");
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: shop",
      "    static_configs:",
      `      - targets: ["${target}"]`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  address = `http://127.0.0.1:${port}`;
  const log = openSync(join(dir, "prometheus.log"), "w");
  prometheus = spawn(
    binary,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=1h",
    ],
    { stdio: ["ignore", log, log] },
  );
  const exited = once(prometheus, "exit");
  const readLog = () => readFileSync(join(dir, "prometheus.log"), "utf8").split("\n").slice(-20).join("\n");
  try {
    await Promise.race([
      waitFor(
        "Prometheus to scrape the test's counters three times",
        async () =>
          (await queryNumber('count_over_time(http_requests_total{code="500",version="2.0.0"}[1m])')) >= 3,
        { timeoutMs: 60_000, intervalMs: 250 },
      ),
      exited.then(([code]) => {
        throw new Error(`prometheus exited with ${code} before it was ready`);
      }),
    ]);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nprometheus log:\n${readLog()}`);
  }
}, 12 * 60_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
    const exited = once(prometheus, "exit");
    prometheus.kill("SIGTERM");
    const timer = setTimeout(() => prometheus?.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  await metrics?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

const ERROR_RATIO =
  'sum(rate(http_requests_total{version="{{canaryVersion}}",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{version="{{canaryVersion}}"}[{{window}}]))';

describe("PrometheusProvider against a real Prometheus", () => {
  it("measures each version's error ratio as served (rate over the window)", async () => {
    const provider = new PrometheusProvider({ type: "prometheus", address, query: ERROR_RATIO });
    const canary = await provider.measure(measureContext({ windowMs: 10_000 }));
    expect(canary.error).toBeUndefined();
    expect(canary.value).toBeCloseTo(3 / 100, 9);
    const baseline = await provider.measure(measureContext({ windowMs: 10_000, canaryVersion: "1.0.0" }));
    expect(baseline.value).toBeCloseTo(1 / 200, 9);
  });

  it("reads a counter's value exactly as the test served it", async () => {
    const provider = new PrometheusProvider({
      type: "prometheus",
      address,
      query: 'sum(http_requests_total{version="{{baselineVersion}}"})',
    });
    const measurement = await provider.measure(measureContext());
    expect(servedTotals["1.0.0"]).toContain(measurement.value);
    // the latest scrape or the one before it (a scrape may land between the look and the query)
    expect(servedTotals["1.0.0"]!.slice(-2)).toContain(measurement.value);
  });

  it("reports no data as NaN, several series and a bad query as errors", async () => {
    const provider = (query: string) => new PrometheusProvider({ type: "prometheus", address, query });
    const none = await provider(ERROR_RATIO).measure(measureContext({ canaryVersion: "9.9.9" }));
    expect(none.error).toBeUndefined();
    expect(none.value).toBeNaN();

    const several = await provider('http_requests_total{version="{{canaryVersion}}"}').measure(
      measureContext(),
    );
    expect(several.error).toMatch(/query returned 2 series, expected one/);

    const bad = await provider("sum(rate(http_requests_total[").measure(measureContext());
    expect(bad.error).toMatch(/query failed: bad_data: /);
  });

  it("reports a server that does not answer", async () => {
    const port = await freePort();
    const provider = new PrometheusProvider({
      type: "prometheus",
      address: `http://127.0.0.1:${port}`,
      query: "up",
    });
    expect((await provider.measure(measureContext())).error).toMatch(/ECONNREFUSED/);
  });
});
