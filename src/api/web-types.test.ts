import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderWebTypes, WEB_TYPES_FILE } from "../../scripts/gen-web-types.mjs";
import { useApiFixture } from "./test-fixture.js";

describe("src/web/api-types.gen.ts", () => {
  const api = useApiFixture();

  it("is what openapi-typescript makes of the served OpenAPI document (else: npm run gen:web-types)", async () => {
    const document = (await api.fixture.app.inject({ url: "/api/v1/openapi.json" })).json();
    const fresh = await renderWebTypes(document);
    expect(readFileSync(WEB_TYPES_FILE, "utf8") === fresh, "stale: run `npm run gen:web-types`").toBe(true);
  });
});
