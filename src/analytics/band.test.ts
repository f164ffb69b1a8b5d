import { describe, expect, it } from "vitest";
import { doraBands, frequencyBand } from "./band.js";
import { DAY, HOUR, MINUTE } from "./history.fixtures.js";

const base = {
  deploymentsPerWeek: 10,
  anyRelease: true,
  leadTimeMedian: HOUR,
  changeFailureRate: 0,
  timeToRestoreMedian: 10 * MINUTE,
};

describe("DORA bands (2023 State of DevOps)", () => {
  it("places deployment frequency: daily elite, weekly high, monthly medium, rarer low", () => {
    expect(frequencyBand(7)).toBe("elite");
    expect(frequencyBand(6.9)).toBe("high");
    expect(frequencyBand(1)).toBe("high");
    expect(frequencyBand(0.99)).toBe("medium");
    expect(frequencyBand(7 / 30)).toBe("medium");
    expect(frequencyBand(0.2)).toBe("low");
  });

  it("places each metric at its cut-offs and takes the worst as overall", () => {
    expect(doraBands(base)).toEqual({
      overall: "elite",
      deploymentFrequency: "elite",
      leadTime: "elite",
      changeFailureRate: "elite",
      timeToRestore: "elite",
    });
    expect(doraBands({ ...base, leadTimeMedian: DAY }).leadTime).toBe("high");
    expect(doraBands({ ...base, leadTimeMedian: 7 * DAY }).leadTime).toBe("medium");
    expect(doraBands({ ...base, leadTimeMedian: 30 * DAY }).leadTime).toBe("low");
    expect(doraBands({ ...base, changeFailureRate: 0.05 }).changeFailureRate).toBe("elite");
    expect(doraBands({ ...base, changeFailureRate: 0.1 }).changeFailureRate).toBe("high");
    expect(doraBands({ ...base, changeFailureRate: 0.15 }).changeFailureRate).toBe("medium");
    expect(doraBands({ ...base, changeFailureRate: 0.16 }).changeFailureRate).toBe("low");
    expect(doraBands({ ...base, timeToRestoreMedian: HOUR }).timeToRestore).toBe("high");
    expect(doraBands({ ...base, timeToRestoreMedian: DAY }).timeToRestore).toBe("medium");
    expect(doraBands({ ...base, timeToRestoreMedian: 7 * DAY })).toMatchObject({
      timeToRestore: "low",
      overall: "low",
    });
    expect(doraBands({ ...base, changeFailureRate: 0.12 }).overall).toBe("medium");
  });

  it("leaves a metric without data unrated, and everything unrated without releases", () => {
    expect(
      doraBands({ ...base, leadTimeMedian: null, timeToRestoreMedian: null, changeFailureRate: 0.08 }),
    ).toEqual({
      overall: "high",
      deploymentFrequency: "elite",
      leadTime: null,
      changeFailureRate: "high",
      timeToRestore: null,
    });
    expect(
      doraBands({
        deploymentsPerWeek: 0,
        anyRelease: false,
        leadTimeMedian: null,
        changeFailureRate: null,
        timeToRestoreMedian: null,
      }).overall,
    ).toBeNull();
  });
});
