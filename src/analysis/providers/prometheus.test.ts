import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapePromQLString, interpretQueryResponse, PrometheusProvider } from "./prometheus.js";
import { measureContext, startServer, type TestServer } from "./test-helpers.js";

/** A stand-in for Prometheus' HTTP API (the real server is in test/prometheus-provider.test.ts). */
let server: TestServer;
let answer: { status: number; body: string; delayMs?: number };

beforeAll(async () => {
  server = await startServer((_request, response) => {
    const send = () => {
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(answer.body);
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
    else send();
  });
});

afterAll(async () => {
  await server.close();
});

const vector = (...values: string[]) =>
  JSON.stringify({
    status: "success",
    data: {
      resultType: "vector",
      result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1, v] })),
    },
  });

describe("PrometheusProvider over HTTP", () => {
  it("sends the instant query with placeholders escaped and the look's time", async () => {
    answer = { status: 200, body: vector("0.25") };
    const provider = new PrometheusProvider({
      type: "prometheus",
      address: `${server.url}/`,
      query: 'sum(rate(x{version="{{canaryVersion}}",env="{{environment}}"}[{{window}}]))',
    });
    const context = measureContext({ canaryVersion: 'a"b\\c', now: 1_700_000_000_123 });
    expect(await provider.measure(context)).toEqual({ at: context.now, value: 0.25 });
    const url = new URL(server.requests.at(-1)!.url, server.url);
    expect(url.pathname).toBe("/api/v1/query");
    expect(url.searchParams.get("query")).toBe('sum(rate(x{version="a\\"b\\\\c",env="production"}[30s]))');
    expect(url.searchParams.get("time")).toBe("1700000000.123");
  });

  it("turns Prometheus' answers into values or reasons", async () => {
    const provider = new PrometheusProvider({ type: "prometheus", address: server.url, query: "up" });
    answer = { status: 200, body: vector() };
    expect((await provider.measure(measureContext())).value).toBeNaN();
    answer = { status: 200, body: vector("1", "2", "3") };
    expect((await provider.measure(measureContext())).error).toMatch(/query returned 3 series, expected one/);
    answer = {
      status: 400,
      body: JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" }),
    };
    expect((await provider.measure(measureContext())).error).toBe(
      `prometheus ${server.url}: query failed: bad_data: parse error (query: up)`,
    );
    answer = { status: 502, body: "<html>bad gateway</html>" };
    expect((await provider.measure(measureContext())).error).toBe(
      `HTTP 502 from prometheus ${server.url}: <html>bad gateway</html>`,
    );
    answer = { status: 200, body: "nope" };
    expect((await provider.measure(measureContext())).error).toMatch(/answer is not JSON/);
    answer = { status: 200, body: vector("1"), delayMs: 3000 };
    const slow = new PrometheusProvider({
      type: "prometheus",
      address: server.url,
      query: "up",
      timeout: 200,
    });
    expect((await slow.measure(measureContext())).error).toMatch(/timed out after 200ms$/);
  });

  it("reports {{baselineVersion}} when there is no stable version", async () => {
    const provider = new PrometheusProvider({
      type: "prometheus",
      address: server.url,
      query: 'x{version="{{baselineVersion}}"}',
    });
    expect((await provider.measure(measureContext({ baselineVersion: undefined }))).error).toMatch(
      /no stable version/,
    );
  });

  it("rejects a bad configuration when it is created", () => {
    expect(
      () => new PrometheusProvider({ type: "prometheus", address: "localhost:9090", query: "up" }),
    ).toThrow(/not http/);
    expect(
      () => new PrometheusProvider({ type: "prometheus", address: "http://x", query: "{{canary}}" }),
    ).toThrow(/unknown placeholder/);
  });
});

describe("interpretQueryResponse", () => {
  it("reads scalars, special values and refuses range vectors", () => {
    const ok = (data: unknown) => ({ status: "success", data });
    expect(interpretQueryResponse(ok({ resultType: "scalar", result: [1, "42"] }))).toEqual({ value: 42 });
    expect(interpretQueryResponse(ok({ resultType: "scalar", result: [1, "+Inf"] }))).toEqual({
      value: Infinity,
    });
    expect(interpretQueryResponse(ok({ resultType: "scalar", result: [1, "NaN"] }))).toEqual({
      value: Number.NaN,
    });
    expect(interpretQueryResponse(ok({ resultType: "matrix", result: [] }))).toEqual({
      error: "query returned a range vector; write an instant query",
    });
    expect(escapePromQLString('1.0"\n')).toBe('1.0\\"\\n');
  });
});
