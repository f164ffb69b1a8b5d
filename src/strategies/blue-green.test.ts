import { describe, expect, it } from "vitest";
import { planBlueGreen } from "./blue-green.js";

describe("planBlueGreen", () => {
  it("promotes a healthy preview automatically, then keeps the old stack for the scale-down delay", () => {
    expect(planBlueGreen({ autoPromote: 60_000, scaleDownDelay: 30_000 }, 3)).toEqual([
      { type: "scale", track: "new", replicas: 3 },
      { type: "pause", duration: 60_000, reason: "awaiting promotion of the preview" },
      { type: "setWeight", weight: 100 },
      { type: "pause", duration: 30_000, reason: "scale-down delay" },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("waits for `tandem resume` when autoPromote is null", () => {
    expect(planBlueGreen({ autoPromote: null, scaleDownDelay: 30_000 }, 2)).toEqual([
      { type: "scale", track: "new", replicas: 2 },
      { type: "pause", reason: "awaiting promotion of the preview" },
      { type: "setWeight", weight: 100 },
      { type: "pause", duration: 30_000, reason: "scale-down delay" },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });

  it("switches and removes the old stack at once when both delays are 0", () => {
    expect(planBlueGreen({ autoPromote: 0, scaleDownDelay: 0 }, 2)).toEqual([
      { type: "scale", track: "new", replicas: 2 },
      { type: "setWeight", weight: 100 },
      { type: "scale", track: "stable", replicas: 0 },
    ]);
  });
});
