import { describe, expect, it } from "vitest";
import { DAY } from "./history.fixtures.js";
import { quantile } from "./stats.js";
import { compare, direction, weeks } from "./trends.js";

describe("trend direction", () => {
  it("is flat within 5% of the larger value, else up or down", () => {
    expect(direction(100, 96)).toBe("flat");
    expect(direction(100, 94)).toBe("up");
    expect(direction(90, 100)).toBe("down");
    expect(direction(0, 0)).toBe("flat");
    expect(direction(1, 0)).toBe("up");
  });

  it("says whether a move is better: up for frequency and success, down for the others", () => {
    expect(compare("deploymentsPerWeek", 5, 3)).toEqual({
      current: 5,
      previous: 3,
      direction: "up",
      better: true,
    });
    expect(compare("successRate", 0.5, 0.9).better).toBe(false);
    expect(compare("leadTimeMedian", 5, 3)).toEqual({
      current: 5,
      previous: 3,
      direction: "up",
      better: false,
    });
    expect(compare("changeFailureRate", 0.1, 0.3).better).toBe(true);
    expect(compare("timeToRestoreMedian", 10, 10)).toEqual({
      current: 10,
      previous: 10,
      direction: "flat",
      better: null,
    });
    expect(compare("timeToRestoreMedian", null, 10)).toEqual({
      current: null,
      previous: 10,
      direction: null,
      better: null,
    });
  });

  it("cuts a window into weeks from its start, the last one shorter", () => {
    expect(weeks({ since: 0, until: 10 * DAY })).toEqual([
      { since: 0, until: 7 * DAY },
      { since: 7 * DAY, until: 10 * DAY },
    ]);
  });
});

describe("quantile", () => {
  it("interpolates between closest ranks", () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([120, 30], 0.5)).toBe(75);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 10);
  });
});
