import { describe, expect, it } from "vitest";
import { ROLLOUT_BUCKETS } from "./metrics.js";
import { useApiFixture } from "./test-fixture.js";

const api = useApiFixture();

async function scrape(): Promise<string> {
  const response = await api.fixture.app.inject({ url: "/metrics", headers: api.auth("viewer") });
  expect(response.statusCode).toBe(200);
  expect(response.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
  return response.body;
}

describe("/metrics (prom-client)", () => {
  it("serves the process's default metrics beside Tandem's", async () => {
    const text = await scrape();
    expect(text).toContain("# TYPE process_cpu_seconds_total counter");
    expect(text).toContain("# TYPE process_resident_memory_bytes gauge");
    expect(text).toMatch(/^nodejs_version_info\{/m);
    expect(text).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
  });

  it("writes rollout and step durations as histograms with buckets", async () => {
    const text = await scrape();
    expect(text).toContain("# TYPE tandem_rollout_duration_seconds histogram");
    expect(text).toContain("# TYPE tandem_step_duration_seconds histogram");
    const labels = 'environment="staging",service="web",status="succeeded"';
    for (const le of [...ROLLOUT_BUCKETS.map(String), "+Inf"]) {
      expect(text).toContain(`tandem_rollout_duration_seconds_bucket{le="${le}",${labels}}`);
    }
    const inf = new RegExp(`tandem_rollout_duration_seconds_bucket\\{le="\\+Inf",${labels}\\} (\\d+)`).exec(
      text,
    );
    const count = new RegExp(`tandem_rollout_duration_seconds_count\\{${labels}\\} (\\d+)`).exec(text);
    expect(inf?.[1]).toBe(count?.[1]);
    expect(text).toMatch(
      /tandem_step_duration_seconds_bucket\{le="1",environment="staging",service="api",step="\w+"\} \d+/,
    );
  });

  it("has one tandem_rollout_info per environment and service: the latest rollout's release, version, status, phase", async () => {
    const text = await scrape();
    const info = text.split("\n").filter((line) => line.startsWith("tandem_rollout_info{"));
    expect(info.length).toBeGreaterThan(0);
    for (const line of info) expect(line).toMatch(/\} 1$/);
    const keys = info.map((line) => {
      const environment = /environment="([^"]*)"/.exec(line)?.[1];
      const service = /service="([^"]*)"/.exec(line)?.[1];
      return `${environment}/${service}`;
    });
    expect(new Set(keys).size).toBe(keys.length);
    // s2 (api@2.0.0 in staging, awaiting approval) is the newest release of staging/api.
    const s2 = info.find((line) => line.includes(`release="${api.seed.s2}"`));
    expect(s2).toMatch(
      /environment="staging",service="api",release="[^"]+",version="2\.0\.0",status="pending"/,
    );
  });

  it("measures the engine's reconcile passes as they happen (like Argo's rollout_reconcile)", async () => {
    expect(await scrape()).not.toMatch(/^tandem_reconcile_duration_seconds_count/m);
    await api.fixture.orchestrator.engine.reconcileOnce(api.seed.s2);
    await api.fixture.orchestrator.engine.reconcileOnce(api.seed.s2);
    const text = await scrape();
    expect(text).toContain("# TYPE tandem_reconcile_duration_seconds histogram");
    expect(text).toMatch(/tandem_reconcile_duration_seconds_count\{environment="staging",outcome="ok"\} 2/);
    expect(text).toMatch(
      /tandem_reconcile_duration_seconds_bucket\{le="\+Inf",environment="staging",outcome="ok"\} 2/,
    );
  });

  it("a scrape reads the store afresh: a new release shows without a restart", async () => {
    const before = /tandem_releases\{status="awaiting_approval"\} (\d+)/.exec(await scrape())?.[1];
    await api.fixture.orchestrator.createRelease({
      environment: "staging",
      services: ["web@9.9.9"],
      actor: "t",
    });
    const after = /tandem_releases\{status="awaiting_approval"\} (\d+)/.exec(await scrape())?.[1];
    expect(Number(after)).toBe(Number(before) + 1);
  });
});
