import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/loader.js";
import type { FreezeWindow } from "../core/config.js";
import { activeFreeze, describeFreeze } from "./freeze.js";

const t = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

const holidays: FreezeWindow = {
  name: "holidays",
  reason: "end-of-year traffic",
  type: "period",
  from: t("2026-12-24T00:00:00Z"),
  to: t("2027-01-02T00:00:00Z"),
};

/** Friday 18:00 in Paris for 62 hours: until Monday 08:00 local, or 09:00 after the spring change. */
const weekend: FreezeWindow = {
  name: "weekend",
  type: "schedule",
  schedule: "0 18 * * 5",
  duration: 62 * HOUR,
  timezone: "Europe/Paris",
};

describe("activeFreeze: periods", () => {
  it("is active from `from` (inclusive) to `to` (exclusive)", () => {
    expect(activeFreeze([holidays], t("2026-12-28T12:00:00Z"))).toEqual({
      window: holidays,
      until: holidays.to,
    });
    expect(activeFreeze([holidays], holidays.from)).toEqual({ window: holidays, until: holidays.to });
    expect(activeFreeze([holidays], holidays.from - 1)).toBeUndefined();
    expect(activeFreeze([holidays], holidays.to - 1)?.until).toBe(holidays.to);
    expect(activeFreeze([holidays], holidays.to)).toBeUndefined();
  });

  it("nothing is frozen without windows", () => {
    expect(activeFreeze([], t("2026-12-28T12:00:00Z"))).toBeUndefined();
  });

  it("reports the window ending last, and `until` runs on through windows that follow on", () => {
    const first: FreezeWindow = { name: "a", type: "period", from: 0, to: 100 };
    const longer: FreezeWindow = { name: "b", type: "period", from: 50, to: 150 };
    const next: FreezeWindow = { name: "c", type: "period", from: 150, to: 200 };
    const later: FreezeWindow = { name: "d", type: "period", from: 201, to: 300 };
    expect(activeFreeze([first, longer, next, later], 60)).toEqual({ window: longer, until: 200 });
    expect(activeFreeze([first, longer, next, later], 10)).toEqual({ window: first, until: 200 });
    expect(activeFreeze([first, longer, next, later], 200)).toBeUndefined();
  });
});

describe("activeFreeze: recurring windows", () => {
  it("a Friday 18:00 Paris window lasts 62h, across the spring DST change (ends 09:00 CEST)", () => {
    // 27 March 2026, 18:00 CET = 17:00Z; Paris moves to CEST on Sunday 29 March.
    const start = t("2026-03-27T17:00:00Z");
    const end = start + 62 * HOUR;
    expect(new Date(end).toISOString()).toBe("2026-03-30T07:00:00.000Z");
    expect(activeFreeze([weekend], start - 1)).toBeUndefined();
    expect(activeFreeze([weekend], start)).toEqual({ window: weekend, until: end });
    expect(activeFreeze([weekend], t("2026-03-29T12:00:00Z"))?.until).toBe(end);
    expect(activeFreeze([weekend], end - 1)?.until).toBe(end);
    expect(activeFreeze([weekend], end)).toBeUndefined();
    expect(activeFreeze([weekend], t("2026-04-01T12:00:00Z"))).toBeUndefined();
  });

  it("after the change the window starts at 18:00 CEST (16:00Z), in the zone's own time", () => {
    const start = t("2026-04-03T16:00:00Z");
    expect(activeFreeze([weekend], start - 1)).toBeUndefined();
    expect(activeFreeze([weekend], start)).toEqual({ window: weekend, until: start + 62 * HOUR });
  });

  it("a window without timezone follows UTC", () => {
    const text = `project: shop
environments:
  production:
    freeze: [{ name: nightly, schedule: "0 22 * * *", duration: 8h }]
services:
  api: { target: { type: sim } }
`;
    const [nightly] = parseConfig(text, "/project/tandem.yaml").environments.production!.freeze;
    expect(nightly).toMatchObject({ type: "schedule", timezone: "UTC" });
    expect(activeFreeze([nightly!], t("2026-07-14T21:59:59Z"))).toBeUndefined();
    expect(activeFreeze([nightly!], t("2026-07-14T22:00:00Z"))?.until).toBe(t("2026-07-15T06:00:00Z"));
    expect(activeFreeze([nightly!], t("2026-07-15T05:59:59Z"))?.until).toBe(t("2026-07-15T06:00:00Z"));
    expect(activeFreeze([nightly!], t("2026-07-15T06:00:00Z"))).toBeUndefined();
  });

  it("with overlapping occurrences, the latest start decides when it ends", () => {
    // Mondays and Tuesdays at midnight, for 30h: on Tuesday 03:00 both cover; Tuesday's ends last.
    const early: FreezeWindow = { ...weekend, schedule: "0 0 * * 1,2", duration: 30 * HOUR, timezone: "UTC" };
    expect(activeFreeze([early], t("2026-07-14T03:00:00Z"))?.until).toBe(t("2026-07-15T06:00:00Z"));
    expect(activeFreeze([early], t("2026-07-15T06:00:00Z"))).toBeUndefined();
  });
});

describe("describeFreeze", () => {
  it("names the window, its reason and when it ends (in its zone and in UTC)", () => {
    expect(describeFreeze(holidays, holidays.to)).toBe(
      '"holidays": end-of-year traffic; until 2027-01-02T00:00:00Z',
    );
    expect(describeFreeze(weekend, t("2026-03-30T07:00:00Z"))).toBe(
      '"weekend" (0 18 * * 5 for 62h, Europe/Paris); until Mon, 30 Mar 2026, 09:00 Europe/Paris (2026-03-30T07:00:00Z)',
    );
  });

  it("says a window that always follows on has no end in sight instead of naming a false end", () => {
    const everyMinute: FreezeWindow = {
      name: "always",
      type: "schedule",
      schedule: "* * * * *",
      duration: 2 * 60_000,
      timezone: "UTC",
    };
    const now = t("2026-03-02T10:00:30Z");
    const active = activeFreeze([everyMinute], now)!;
    expect(active.endless).toBe(true);
    expect(active.until).toBeGreaterThan(now + 100 * 60_000);
    expect(describeFreeze(everyMinute, active.until, active.endless)).toMatch(
      /^"always" \(\* \* \* \* \* for 2m, UTC\); no end in sight \(its windows follow on past 2026-03-02T1\d:\d\d:00Z\)$/,
    );
    // A window that ends is not endless.
    expect(activeFreeze([holidays], t("2026-12-28T12:00:00Z"))!.endless).toBeUndefined();
  });
});
