import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("durations", () => {
  it("parses units, compounds and plain milliseconds", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1.5s")).toBe(1_500);
    expect(parseDuration(250)).toBe(250);
  });

  it("refuses what is not a duration, saying how to write one", () => {
    for (const bad of ["30 seconds", "5", "m5", "-1s", ""]) {
      expect(() => parseDuration(bad)).toThrow(/invalid duration/);
    }
    expect(() => parseDuration(-1)).toThrow(/invalid duration/);
  });

  it("formats for people", () => {
    expect(formatDuration(450)).toBe("450ms");
    expect(formatDuration(12_000)).toBe("12s");
    expect(formatDuration(330_000)).toBe("5m30s");
    expect(formatDuration(7_200_000)).toBe("2h");
  });
});
