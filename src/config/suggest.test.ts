import { describe, expect, it } from "vitest";
import { closestMatch, editDistance } from "./suggest.js";

describe("suggestions", () => {
  it("count a transposition as one edit", () => {
    expect(editDistance("setWieght", "setWeight")).toBe(1);
    expect(editDistance("replcas", "replicas")).toBe(1);
  });

  it("suggest only close names", () => {
    expect(closestMatch("replcas", ["replicas", "type"])).toBe("replicas");
    expect(closestMatch("Services", ["services"])).toBe("services");
    expect(closestMatch("colour", ["type", "replicas"])).toBeUndefined();
    expect(closestMatch("ab", ["xy"])).toBeUndefined();
  });
});
