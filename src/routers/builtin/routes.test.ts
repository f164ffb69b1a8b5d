import { describe, expect, it } from "vitest";
import { sameRouteTable } from "../route-table.js";
import { parseRouteTable, previewTable } from "./routes.js";

const endpoint = (id: string, port = 8000) => ({ id, host: "127.0.0.1", port });

describe("parseRouteTable", () => {
  it("accepts an empty table and weights that add up to 100, keeping only known fields", () => {
    expect(parseRouteTable({ backends: [] })).toEqual({ backends: [] });
    const table = parseRouteTable({
      backends: [
        { version: "a", weight: 33.3, endpoints: [{ ...endpoint("x"), extra: true }] },
        { version: "b", weight: 33.3, endpoints: [] },
        { version: "c", weight: 33.4, endpoints: [] },
      ],
    });
    expect(table.backends[0]!.endpoints[0]).toEqual(endpoint("x"));
  });

  it("names the offending field", () => {
    const bad: [unknown, RegExp][] = [
      [null, /"backends" array/],
      [{ backends: [{ version: "", weight: 100, endpoints: [] }] }, /backends\[0\]\.version/],
      [{ backends: [{ version: "a", weight: -1, endpoints: [] }] }, /backends\[0\]\.weight/],
      [
        {
          backends: [
            { version: "a", weight: 50, endpoints: [] },
            { version: "a", weight: 50, endpoints: [] },
          ],
        },
        /appears twice/,
      ],
      [
        { backends: [{ version: "a", weight: 100, endpoints: [endpoint("x"), endpoint("x")] }] },
        /id "x" appears twice/,
      ],
      [
        { backends: [{ version: "a", weight: 100, endpoints: [{ id: "x", host: "h", port: 1.5 }] }] },
        /endpoints\[0\]\.port/,
      ],
      [{ backends: [{ version: "a", weight: 100, endpoints: "x" }] }, /endpoints must be an array/],
      [{ backends: [{ version: "a", weight: 40, endpoints: [] }] }, /add up to 100, they add up to 40/],
    ];
    for (const [input, message] of bad) expect(() => parseRouteTable(input)).toThrow(message);
  });
});

describe("preview section", () => {
  const endpoint = { id: "a", host: "127.0.0.1", port: 4000 };

  it("is kept, checked, and becomes a one-version table for the preview listener", () => {
    const table = parseRouteTable({
      backends: [],
      preview: { version: "2.0.0", endpoints: [endpoint], x: 1 },
    });
    expect(table).toEqual({ backends: [], preview: { version: "2.0.0", endpoints: [endpoint] } });
    expect(previewTable(table)).toEqual({
      backends: [{ version: "2.0.0", weight: 100, endpoints: [endpoint] }],
    });
    expect(previewTable({ backends: [] })).toEqual({ backends: [] });
    expect(() => parseRouteTable({ backends: [], preview: { version: "", endpoints: [] } })).toThrow(
      "preview.version must be a non-empty string",
    );
    expect(() =>
      parseRouteTable({ backends: [], preview: { version: "2", endpoints: [{ ...endpoint, port: 0 }] } }),
    ).toThrow("preview.endpoints[0].port");
  });

  it("counts in table equality", () => {
    const preview = { version: "2.0.0", endpoints: [endpoint] };
    expect(sameRouteTable({ backends: [], preview }, { backends: [], preview })).toBe(true);
    expect(sameRouteTable({ backends: [], preview }, { backends: [] })).toBe(false);
  });
});

describe("sameRouteTable", () => {
  it("ignores the order of backends but not weights or endpoints", () => {
    const a = { version: "a", weight: 20, endpoints: [endpoint("x")] };
    const b = { version: "b", weight: 80, endpoints: [endpoint("y")] };
    expect(sameRouteTable({ backends: [a, b] }, { backends: [b, a] })).toBe(true);
    expect(sameRouteTable({ backends: [a, b] }, { backends: [{ ...a, weight: 21 }, b] })).toBe(false);
    expect(
      sameRouteTable({ backends: [a, b] }, { backends: [{ ...a, endpoints: [endpoint("x", 1)] }, b] }),
    ).toBe(false);
    expect(sameRouteTable({ backends: [a] }, { backends: [a, b] })).toBe(false);
  });
});
