import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useApiFixture } from "./test-fixture.js";

/** examples/grafana/tandem-dashboard.json asks only for metrics a running server serves at /metrics. */

// biome-ignore lint/suspicious/noExplicitAny: walking an untyped JSON document
type Json = Record<string, any>;

const DASHBOARD = JSON.parse(
  readFileSync(new URL("../../examples/grafana/tandem-dashboard.json", import.meta.url), "utf8"),
) as Json;

/** Every PromQL expression of the dashboard: panel targets and template variable queries. */
function expressions(dashboard: Json): string[] {
  const panels = (dashboard.panels as Json[]).flatMap((p) =>
    (p.targets as Json[]).map((t) => t.expr as string),
  );
  const variables = (dashboard.templating.list as Json[])
    .filter((v) => v.type === "query")
    .map((v) => v.query.query as string);
  return [...panels, ...variables];
}

describe("the Grafana dashboard example", () => {
  const api = useApiFixture();

  it("queries only metric names the server serves", async () => {
    const response = await api.fixture.app.inject({ url: "/metrics", headers: api.auth("viewer") });
    expect(response.statusCode).toBe(200);
    const served = new Set(
      response.body
        .split("\n")
        .map((line) => /^# TYPE (\S+)/.exec(line)?.[1] ?? /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1])
        .filter((name): name is string => Boolean(name)),
    );
    // A histogram family declares its series even before its first observation (the reconcile passes).
    for (const [, name] of response.body.matchAll(/^# TYPE (\S+) histogram$/gm)) {
      for (const suffix of ["_bucket", "_sum", "_count"]) served.add(`${name}${suffix}`);
    }
    expect(served.size).toBeGreaterThan(3);
    const used = new Set(expressions(DASHBOARD).flatMap((expr) => expr.match(/\btandem_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThanOrEqual(6);
    const missing = [...used].filter((name) => !served.has(name));
    expect(missing).toEqual([]);
  });

  it("is a dashboard Grafana imports: a title, a uid, a Prometheus datasource variable, panels with queries", () => {
    expect(DASHBOARD).toMatchObject({
      title: "Tandem",
      uid: expect.any(String),
      schemaVersion: expect.any(Number),
    });
    expect(DASHBOARD.templating.list[0]).toMatchObject({ type: "datasource", query: "prometheus" });
    for (const panel of DASHBOARD.panels as Json[]) {
      expect(panel.datasource.uid, panel.title).toBe("${datasource}");
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    }
  });
});
