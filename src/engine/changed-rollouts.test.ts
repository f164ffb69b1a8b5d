import { describe, expect, it } from "vitest";
import { rollout } from "../store/conformance.fixtures.js";
import { changedRollouts } from "./engine.js";

describe("changedRollouts (what a pass gives the store to write)", () => {
  const before = [rollout("db", "1.0.0"), rollout("api", "2.0.0"), rollout("web", "1.8.0")];

  it("names only the rollouts whose state differs, compared by value", () => {
    const after = [
      structuredClone(before[0]!),
      { ...before[1]!, status: "running" as const },
      { ...before[2]!, instances: { new: { ready: 1, total: 1 }, stable: { ready: 0, total: 0 } } },
    ];
    expect(changedRollouts(before, after)).toEqual(["api", "web"]);
    expect(
      changedRollouts(
        before,
        before.map((r) => structuredClone(r)),
      ),
    ).toEqual([]);
  });

  it("asks for a full write when the set or order of rollouts changed", () => {
    expect(changedRollouts(before, before.slice(1))).toBeUndefined();
    expect(changedRollouts(before, [before[1]!, before[0]!, before[2]!])).toBeUndefined();
  });
});
