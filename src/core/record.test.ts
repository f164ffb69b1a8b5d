import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { recordOf } from "./record.js";

describe("recordOf", () => {
  it("is the object Object.fromEntries builds: keys in order, plain prototype", () => {
    const entries: [string, number][] = [
      ["b", 1],
      ["a", 2],
      ["b", 3],
    ];
    const record = recordOf(entries);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record)).toEqual(["b", "a"]);
    expect(record).toStrictEqual(Object.fromEntries(entries));
    expect(isDeepStrictEqual(record, { b: 3, a: 2 })).toBe(true);
    expect(JSON.stringify(record)).toBe('{"b":3,"a":2}');
    expect(Object.hasOwn(record, "a") && "toString" in record).toBe(true);
  });

  it("takes a key named __proto__ as an own property, as Object.fromEntries does", () => {
    const record = recordOf([["__proto__", 1]]);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record)).toEqual(["__proto__"]);
  });
});
