import { describe, expect, it } from "vitest";
import { formatDuration, formatPercent, formatTime, formatValue, statusLabel, statusTone } from "./format";

describe("formatting for people", () => {
  it("writes durations in the largest unit that fits", () => {
    expect(formatDuration(450)).toBe("450ms");
    expect(formatDuration(1500)).toBe("1.5s");
    expect(formatDuration(90_000)).toBe("1.5m");
    expect(formatDuration(2 * 3_600_000)).toBe("2h");
    expect(formatDuration(36 * 3_600_000)).toBe("1.5d");
    expect(formatDuration(null)).toBe("–");
  });

  it("writes rates as percentages", () => {
    expect(formatPercent(0.25)).toBe("25%");
    expect(formatPercent(0.012)).toBe("1.2%");
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(null)).toBe("–");
  });

  it("writes values short and times in UTC", () => {
    expect(formatValue(0.004321)).toBe("0.0043");
    expect(formatValue(12.345)).toBe("12.35");
    expect(formatValue(undefined)).toBe("–");
    expect(formatTime(Date.UTC(2026, 11, 1, 10, 15, 3))).toBe("2026-12-01 10:15:03");
  });

  it("gives each status a tone and a label", () => {
    expect(statusTone("succeeded")).toBe("ok");
    expect(statusTone("rolled_back")).toBe("bad");
    expect(statusTone("awaiting_approval")).toBe("waiting");
    expect(statusTone("running")).toBe("active");
    expect(statusLabel("awaiting_approval")).toBe("awaiting approval");
  });
});
