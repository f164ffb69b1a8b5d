import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureContext, startServer, type TestServer } from "./test-helpers.js";
import { pickNumber, WebProvider } from "./web.js";

let server: TestServer;

beforeAll(async () => {
  server = await startServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    const json = (status: number, body: string) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(body);
    };
    switch (url.pathname) {
      case "/stats":
        return json(200, JSON.stringify({ data: { errorRate: 0.0123, version: url.searchParams.get("v") } }));
      case "/echo":
        return json(200, JSON.stringify({ value: 7 }));
      case "/null":
        return json(200, JSON.stringify({ data: { errorRate: null } }));
      case "/broken":
        return json(500, "internal error: database down");
      case "/not-json":
        return json(200, "{not json");
      case "/slow":
        setTimeout(() => json(200, "{}"), 5000).unref();
        return;
      default:
        return json(404, "{}");
    }
  });
});

afterAll(async () => {
  await server.close();
});

describe("WebProvider against a real HTTP server", () => {
  it("reads the number at the JSONPath of a 200 JSON answer, with placeholders in the URL", async () => {
    const provider = new WebProvider({
      type: "web",
      url: `${server.url}/stats?v={{canaryVersion}}&svc={{service}}`,
      jsonPath: "$.data.errorRate",
    });
    const context = measureContext({ canaryVersion: "2.0.0-rc 1" });
    const measurement = await provider.measure(context);
    expect(measurement).toEqual({ at: context.now, value: 0.0123 });
    expect(server.requests.at(-1)?.url).toBe("/stats?v=2.0.0-rc%201&svc=api");
  });

  it("POSTs a JSON body with placeholders and headers", async () => {
    const provider = new WebProvider({
      type: "web",
      url: `${server.url}/echo`,
      method: "POST",
      headers: { "x-version": "{{canaryVersion}}" },
      body: { service: "api", window: "30s" },
      jsonPath: "$.value",
    });
    expect((await provider.measure(measureContext())).value).toBe(7);
    const request = server.requests.at(-1)!;
    expect(request.method).toBe("POST");
    expect(request.headers["x-version"]).toBe("2.0.0");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({ service: "api", window: "30s" });
  });

  it("reports a 500 with its status and the start of the body", async () => {
    const provider = new WebProvider({ type: "web", url: `${server.url}/broken`, jsonPath: "$.x" });
    const measurement = await provider.measure(measureContext());
    expect(measurement.value).toBeUndefined();
    expect(measurement.error).toBe(`HTTP 500 from GET ${server.url}/broken: internal error: database down`);
  });

  it("reports a body that is not JSON", async () => {
    const provider = new WebProvider({ type: "web", url: `${server.url}/not-json`, jsonPath: "$.x" });
    expect((await provider.measure(measureContext())).error).toMatch(/answer is not JSON/);
  });

  it("reports a JSONPath that matches nothing, and null as no data", async () => {
    const missing = new WebProvider({ type: "web", url: `${server.url}/stats`, jsonPath: "$.data.latency" });
    expect((await missing.measure(measureContext())).error).toMatch(
      /jsonPath \$\.data\.latency matched nothing$/,
    );
    const nothing = new WebProvider({ type: "web", url: `${server.url}/null`, jsonPath: "$.data.errorRate" });
    const measurement = await nothing.measure(measureContext());
    expect(measurement.error).toBeUndefined();
    expect(measurement.value).toBeNaN();
  });

  it("gives up at its timeout, and at once when the caller aborts", async () => {
    const provider = new WebProvider({
      type: "web",
      url: `${server.url}/slow`,
      jsonPath: "$.x",
      timeout: "200ms",
    });
    const startedAt = Date.now();
    const measurement = await provider.measure(measureContext());
    expect(measurement.error).toBe(`GET ${server.url}/slow: timed out after 200ms`);
    expect(Date.now() - startedAt).toBeLessThan(2000);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await new WebProvider({
      type: "web",
      url: `${server.url}/slow`,
      jsonPath: "$.x",
    }).measure(measureContext({ signal: controller.signal }));
    expect(aborted.error).toBe(`GET ${server.url}/slow: aborted`);
  });

  it("reports a refused connection", async () => {
    const closed = await startServer(() => {});
    await closed.close();
    const provider = new WebProvider({ type: "web", url: `${closed.url}/x`, jsonPath: "$.x" });
    expect((await provider.measure(measureContext())).error).toMatch(/ECONNREFUSED/);
  });

  it("rejects a bad configuration when it is created", () => {
    expect(() => new WebProvider({ type: "web", url: "http://x/{{nope}}", jsonPath: "$.x" })).toThrow(
      /unknown placeholder "\{\{nope\}\}"/,
    );
    expect(() => new WebProvider({ type: "web", url: "http://x/", jsonPath: "$.x", body: "a" })).toThrow(
      /GET/,
    );
    expect(
      () => new WebProvider({ type: "web", url: "http://x/", jsonPath: "$.x", timeout: "soon" }),
    ).toThrow(/invalid duration/);
  });
});

describe("pickNumber", () => {
  it("takes numbers, numeric strings and booleans; refuses several matches and objects", () => {
    expect(pickNumber({ a: 3 }, "$.a")).toEqual({ value: 3 });
    expect(pickNumber({ a: "0.5" }, "$.a")).toEqual({ value: 0.5 });
    expect(pickNumber({ ok: true }, "$.ok")).toEqual({ value: 1 });
    expect(pickNumber({ a: [1, 2] }, "$.a[*]")).toEqual({
      error: "jsonPath $.a[*] matched 2 values, expected one",
    });
    expect(pickNumber({ a: { b: 1 } }, "$.a")).toEqual({ error: "jsonPath $.a is an object, not a number" });
    expect(pickNumber({ a: "high" }, "$.a")).toEqual({
      error: 'jsonPath $.a is the string "high", not a number',
    });
    expect(
      pickNumber(
        {
          items: [
            { v: "a", n: 1 },
            { v: "b", n: 2 },
          ],
        },
        "$.items[?(@.v=='b')].n",
      ),
    ).toEqual({
      value: 2,
    });
  });
});
