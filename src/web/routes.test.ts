import { describe, expect, it } from "vitest";
import { parseRoute, routeHref } from "./routes";

describe("hash routes", () => {
  it("reads each page from the hash", () => {
    expect(parseRoute("")).toEqual({ page: "releases" });
    expect(parseRoute("#/releases")).toEqual({ page: "releases" });
    expect(parseRoute("#/releases/01J-abc_2.x")).toEqual({ page: "release", id: "01J-abc_2.x" });
    expect(parseRoute("#/registry/")).toEqual({ page: "registry" });
    expect(parseRoute("#/delivery")).toEqual({ page: "delivery" });
    expect(parseRoute("#/releases/<script>")).toEqual({ page: "releases" });
  });

  it("writes the hash of a page back", () => {
    for (const route of [
      { page: "releases" },
      { page: "release", id: "r-1" },
      { page: "registry" },
      { page: "delivery" },
    ] as const) {
      expect(parseRoute(routeHref(route))).toEqual(route);
    }
  });
});
