import { describe, expect, it } from "vitest";
import { sameRouteTable } from "./route-table.js";

const endpoint = (id: string, port = 8000, host = "127.0.0.1") => ({ id, host, port });

describe("sameRouteTable", () => {
  it("treats endpoints as a multiset: order does not count, ids, hosts, ports and counts do", () => {
    const table = (...endpoints: ReturnType<typeof endpoint>[]) => ({
      backends: [{ version: "1", weight: 100, endpoints }],
    });
    const [x, y, z] = [endpoint("x"), endpoint("y"), endpoint("z")];
    expect(sameRouteTable(table(x, y, z), table(x, z, y))).toBe(true);
    expect(sameRouteTable(table(x, y, z), table(z, y, x))).toBe(true);
    expect(sameRouteTable(table(x, y), table(x, y, z))).toBe(false);
    expect(sameRouteTable(table(x, x, y), table(x, y, y))).toBe(false);
    expect(sameRouteTable(table(x, y), table(x, endpoint("y", 8001)))).toBe(false);
    expect(sameRouteTable(table(x, y), table(x, endpoint("y", 8000, "10.0.0.1")))).toBe(false);
  });

  it("compares versions and the preview, and an absent current table is never the same", () => {
    const a = { version: "a", weight: 50, endpoints: [endpoint("x")] };
    const b = { version: "b", weight: 50, endpoints: [endpoint("y")] };
    const preview = { version: "b", endpoints: [endpoint("y")] };
    expect(sameRouteTable(undefined, { backends: [] })).toBe(false);
    expect(sameRouteTable({ backends: [a, b], preview }, { backends: [b, a], preview })).toBe(true);
    expect(
      sameRouteTable({ backends: [a, b], preview }, { backends: [a, { ...b, version: "c" }], preview }),
    ).toBe(false);
    expect(
      sameRouteTable(
        { backends: [a, b], preview },
        { backends: [a, b], preview: { ...preview, version: "a" } },
      ),
    ).toBe(false);
    expect(
      sameRouteTable(
        { backends: [a, b], preview },
        { backends: [a, b], preview: { ...preview, endpoints: [endpoint("z")] } },
      ),
    ).toBe(false);
    expect(sameRouteTable({ backends: [a, b] }, { backends: [a, b], preview })).toBe(false);
  });
});
