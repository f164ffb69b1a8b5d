import { describe, expect, it } from "vitest";
import { planRecreate } from "./recreate.js";

describe("planRecreate", () => {
  it("stops the stable version, then starts the new one and sends it all traffic", () => {
    expect(planRecreate(3)).toEqual([
      { type: "scale", track: "stable", replicas: 0 },
      { type: "scale", track: "new", replicas: 3 },
      { type: "setWeight", weight: 100 },
    ]);
  });
});
