import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { TandemEvent } from "../core/types.js";
import { useApiFixture } from "./test-fixture.js";

const api = useApiFixture({ stream: { pollMs: 20, heartbeatMs: 50 } });

/** Reads SSE messages until `count` events arrived (bounded by a deadline); returns them and the raw text. */
async function readEvents(url: string, headers: Record<string, string>, count: number) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const events: Array<{ id: number; event: TandemEvent }> = [];
  const deadline = Date.now() + 10_000;
  while (events.length < count && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const blocks = text.split("\n\n");
    events.length = 0;
    for (const block of blocks.slice(0, -1)) {
      const id = /^id: (\d+)$/m.exec(block);
      const data = /^data: (.*)$/m.exec(block);
      if (id && data) events.push({ id: Number(id[1]), event: JSON.parse(data[1]!) });
    }
  }
  controller.abort();
  return { events, text };
}

describe("the event stream", () => {
  it("sends a release's events in order with their seq as id, and resumes after Last-Event-ID", async () => {
    await api.fixture.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = api.fixture.app.server.address() as AddressInfo;
    const auth = { authorization: `Bearer ${api.seed.tokens.viewer}` };
    const stored = await api.fixture.store.listEvents({ releaseId: api.seed.s1 });
    expect(stored.length).toBeGreaterThan(5);
    const url = `http://127.0.0.1:${port}/api/v1/events/stream?release=${api.seed.s1}`;
    const first = await readEvents(url, auth, stored.length);
    expect(first.events.map((e) => e.id)).toEqual(stored.map((e) => e.seq));
    expect(first.events.every((e) => e.event.releaseId === api.seed.s1)).toBe(true);

    const middle = stored[2]!.seq!;
    const resumed = await readEvents(url, { ...auth, "last-event-id": String(middle) }, stored.length - 3);
    expect(resumed.events.map((e) => e.id)).toEqual(stored.slice(3).map((e) => e.seq));

    // Live: events written after the stream opened arrive too (token in the query, as EventSource sends it).
    const live = readEvents(
      `http://127.0.0.1:${port}/api/v1/events/stream?release=${api.seed.s2}&access_token=${api.seed.tokens.viewer}`,
      {},
      (await api.fixture.store.listEvents({ releaseId: api.seed.s2 })).length + 1,
    );
    const abort = await api.fixture.app.inject({
      method: "POST",
      url: `/api/v1/releases/${api.seed.s2}/abort`,
      headers: { authorization: `Bearer ${api.seed.tokens.deployer}` },
      payload: { reason: "stop" },
    });
    expect(abort.statusCode).toBe(200);
    await api.fixture.orchestrator.engine.reconcileOnce(api.seed.s2);
    const got = await live;
    const last = got.events.at(-1)!.event;
    expect(last.releaseId).toBe(api.seed.s2);
    expect(
      got.events.some((e) => e.event.type.startsWith("release.") && e.id > (stored.at(-1)?.seq ?? 0)),
    ).toBe(true);
    expect(got.events.map((e) => e.id)).toEqual([...got.events.map((e) => e.id)].sort((a, b) => a - b));
  });
});

describe("/metrics", () => {
  it("is valid exposition text with the numbers of the seeded state", async () => {
    const response = await api.fixture.app.inject({
      url: "/metrics",
      headers: { authorization: `Bearer ${api.seed.tokens.viewer}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/plain");
    // A sample line; blank lines between families are allowed by the format (prom-client writes them),
    // and Prometheus reads `Nan` like `NaN` (prom-client writes it for an event-loop statistic with no data).
    const sample =
      /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[+-]?Inf|NaN|Nan)$/;
    for (const line of response.body.trimEnd().split("\n")) {
      if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
      expect(line).toMatch(sample);
    }
    const text = response.body;
    expect(text).toContain('tandem_releases{status="succeeded"} 2');
    expect(text).toContain('tandem_releases{status="awaiting_approval"} 2');
    expect(text).toContain('tandem_releases{status="failed"} 0');
    expect(text).toMatch(
      /tandem_rollout_duration_seconds_count\{environment="staging",service="web",status="succeeded"\} 1/,
    );
    expect(text).toMatch(
      /tandem_step_duration_seconds_count\{environment="staging",service="api",step="[a-zA-Z]+"\} \d+/,
    );
    expect(text).toContain(
      'tandem_traffic_weight_percent{environment="production",service="api",version="1.0.0"} 0',
    );
    expect(text).toContain('tandem_analysis_verdicts_total{verdict="failed"} 0');
    expect(text).toContain("# TYPE tandem_outbox_deliveries gauge");
  });
});
