import { describe, expect, it } from "vitest";
import { isValidTimeZone, parseWrittenDateTime, toInstant } from "./zoned-time.js";

const at = (text: string, timeZone = "UTC") => toInstant(parseWrittenDateTime(text)!, timeZone);

describe("parseWrittenDateTime", () => {
  it("reads dates, date-times, fractions and offsets", () => {
    expect(at("2026-12-24")).toBe(Date.parse("2026-12-24T00:00:00Z"));
    expect(at("2026-12-24 18:30")).toBe(Date.parse("2026-12-24T18:30:00Z"));
    expect(at("2026-12-24T18:30:15.5Z")).toBe(Date.parse("2026-12-24T18:30:15.500Z"));
    expect(at("2026-12-24T18:30:00+01:00")).toBe(Date.parse("2026-12-24T17:30:00Z"));
    expect(at("2026-12-24T18:30:00-0530")).toBe(Date.parse("2026-12-25T00:00:00Z"));
  });

  it("refuses what is not an ISO 8601 date, or not a real one", () => {
    for (const text of [
      "Christmas",
      "24/12/2026",
      "2026-02-30",
      "2026-12-24T24:00",
      "2026-12-24T18:60",
      "2026",
    ]) {
      expect(parseWrittenDateTime(text), text).toBeUndefined();
    }
  });
});

describe("toInstant", () => {
  it("reads a time without offset in the given zone, winter and summer", () => {
    expect(at("2026-12-24 18:00", "Europe/Paris")).toBe(Date.parse("2026-12-24T17:00:00Z"));
    expect(at("2026-07-14 18:00", "Europe/Paris")).toBe(Date.parse("2026-07-14T16:00:00Z"));
    expect(at("2026-07-14 18:00", "America/New_York")).toBe(Date.parse("2026-07-14T22:00:00Z"));
  });

  it("an offset in the text wins over the zone", () => {
    expect(at("2026-12-24T18:00:00Z", "Europe/Paris")).toBe(Date.parse("2026-12-24T18:00:00Z"));
  });

  it("a time skipped by the spring change uses the winter offset; a repeated one is the earlier", () => {
    // Paris, 29 March 2026: 02:00 CET jumps to 03:00 CEST.
    expect(at("2026-03-29 02:30", "Europe/Paris")).toBe(Date.parse("2026-03-29T01:30:00Z"));
    // Paris, 25 October 2026: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice.
    expect(at("2026-10-25 02:30", "Europe/Paris")).toBe(Date.parse("2026-10-25T00:30:00Z"));
    expect(at("2026-10-25 03:30", "Europe/Paris")).toBe(Date.parse("2026-10-25T02:30:00Z"));
  });
});

describe("isValidTimeZone", () => {
  it("knows IANA names only", () => {
    expect(isValidTimeZone("Europe/Paris")).toBe(true);
    expect(isValidTimeZone("UTC")).toBe(true);
    expect(isValidTimeZone("Europe/Pariss")).toBe(false);
  });
});
