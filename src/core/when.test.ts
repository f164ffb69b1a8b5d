import { describe, expect, it } from "vitest";
import { parseWhen } from "./when.js";

const NOW = Date.UTC(2026, 2, 15, 12);

describe("report --since / --until", () => {
  it("reads a duration back from now, or a date (UTC without an offset)", () => {
    expect(parseWhen("--since", "30d", NOW)).toBe(NOW - 30 * 86_400_000);
    expect(parseWhen("--since", "1d12h", NOW)).toBe(NOW - 36 * 3_600_000);
    expect(parseWhen("--since", "2026-03-01", NOW)).toBe(Date.UTC(2026, 2, 1));
    expect(parseWhen("--until", "2026-03-01T08:30", NOW)).toBe(Date.UTC(2026, 2, 1, 8, 30));
    expect(parseWhen("--until", "2026-03-01T08:30:00+02:00", NOW)).toBe(Date.UTC(2026, 2, 1, 6, 30));
  });

  it("refuses anything else with TANDEM_ERR_INVALID_REQUEST", () => {
    for (const text of ["last tuesday", "30", "2026-13-45", "-3d"]) {
      expect(() => parseWhen("--since", text, NOW)).toThrow(
        expect.objectContaining({ code: "TANDEM_ERR_INVALID_REQUEST" }),
      );
    }
  });
});
