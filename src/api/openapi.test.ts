import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { operationId, operationTag } from "./openapi.js";
import { useApiFixture } from "./test-fixture.js";

// biome-ignore lint/suspicious/noExplicitAny: walking an untyped JSON document
type Json = Record<string, any>;

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);

/** Every object of the document with a `required` keyword that is not a non-empty list of names. */
function emptyRequired(node: unknown, path = "#"): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => emptyRequired(item, `${path}/${i}`));
  if (typeof node !== "object" || node === null) return [];
  const here =
    "required" in node && Array.isArray((node as Json).required) && (node as Json).required.length === 0
      ? [path]
      : [];
  return [...here, ...Object.entries(node).flatMap(([k, v]) => emptyRequired(v, `${path}/${k}`))];
}

describe("the OpenAPI document", () => {
  const api = useApiFixture();

  it("is OpenAPI 3.0 with no empty required list, and every operation has an operationId, a tag and described responses", async () => {
    const document = (await api.fixture.app.inject({ url: "/api/v1/openapi.json" })).json() as Json;
    expect(document.openapi).toBe("3.0.3");
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(emptyRequired(document)).toEqual([]);
    const ids: string[] = [];
    let operations = 0;
    for (const [path, item] of Object.entries(document.paths as Json)) {
      for (const [method, operation] of Object.entries(item as Json)) {
        if (!METHODS.has(method)) continue;
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z0-9]*$/);
        ids.push(operation.operationId);
        expect(operation.tags, where).toEqual([expect.stringMatching(/^[a-z-]+$/)]);
        const responses = Object.entries(operation.responses as Json);
        expect(responses.length, where).toBeGreaterThan(0);
        for (const [status, response] of responses) {
          expect(status, where).toMatch(/^([1-5][0-9X]{2}|default)$/);
          expect(response.description, `${where} ${status}`).toMatch(/\S/);
        }
      }
    }
    expect(operations).toBeGreaterThan(20);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("passes a standard OpenAPI validator (the OpenAPI 3.0 JSON Schema and the spec's own rules)", async () => {
    const document = (await api.fixture.app.inject({ url: "/api/v1/openapi.json" })).json() as Json;
    // validate() dereferences in place: hand it a copy.
    const validated = await SwaggerParser.validate(structuredClone(document) as never);
    expect(validated.info.title).toBe(document.info.title);
  });

  it("names operations after their method and path, tagged by the path's first segment", () => {
    expect(operationId("GET", "/api/v1/releases/:id/events", "/api/v1")).toBe("getReleasesByIdEvents");
    expect(operationId("POST", "/api/v1/releases", "/api/v1")).toBe("postReleases");
    expect(operationId("GET", "/metrics", "/api/v1")).toBe("getMetrics");
    expect(operationTag("/api/v1/releases/:id", "/api/v1")).toBe("releases");
    expect(operationTag("/metrics", "/api/v1")).toBe("metrics");
  });
});
