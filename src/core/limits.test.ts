import { describe, expect, it } from "vitest";
import { deliveryReport } from "../analytics/store-reader.js";
import { auditFilter } from "../audit/filter.js";
import type { Store } from "../store/types.js";
import { isTandemError } from "./errors.js";
import { checkPageSize, checkRange, LIMITS } from "./limits.js";

const DAY = 86_400_000;
const now = Date.UTC(2026, 0, 1);

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    return isTandemError(error) ? error.code : "not a TandemError";
  }
  return undefined;
}

describe("limits shared by the API and the CLI", () => {
  it("bounds ranges by years, span and buckets", () => {
    expect(codeOf(() => checkRange(Date.UTC(1970, 0, 1), Date.UTC(9999, 11, 31), 7 * DAY))).toBe(
      "TANDEM_ERR_LIMIT",
    );
    expect(codeOf(() => checkRange(now - LIMITS.maxRangeMs - DAY, now, 7 * DAY))).toBe("TANDEM_ERR_LIMIT");
    expect(codeOf(() => checkRange(now - LIMITS.maxRangeMs, now, 7 * DAY))).toBeUndefined();
    expect(codeOf(() => checkRange(now - 30 * DAY, now, 60_000))).toBe("TANDEM_ERR_LIMIT");
  });

  it("bounds page sizes", () => {
    expect(checkPageSize("limit", undefined, 20, 500)).toBe(20);
    expect(codeOf(() => checkPageSize("--limit", 501, 20, 500))).toBe("TANDEM_ERR_LIMIT");
    expect(codeOf(() => checkPageSize("--limit", Number.NaN, 20, 500))).toBe("TANDEM_ERR_INVALID_REQUEST");
    expect(codeOf(() => checkPageSize("--limit", -1, 20, 500))).toBe("TANDEM_ERR_INVALID_REQUEST");
  });

  it("refuses a local report over the range before reading the store (tandem report)", async () => {
    const untouchable = new Proxy({} as Store, {
      get: () => () => {
        throw new Error("the store was read");
      },
    });
    const config = { project: "shop", environments: {}, services: {} };
    await expect(
      deliveryReport(untouchable, config, { now, since: Date.UTC(1970, 0, 1), until: Date.UTC(9999, 0, 1) }),
    ).rejects.toMatchObject({ code: "TANDEM_ERR_LIMIT" });
  });

  it("refuses a hostile --since and --limit of tandem audit", () => {
    expect(codeOf(() => auditFilter({ since: "1970-01-01" }, now))).toBe("TANDEM_ERR_LIMIT");
    expect(codeOf(() => auditFilter({ limit: "100000" }, now))).toBe("TANDEM_ERR_LIMIT");
    expect(auditFilter({ since: "30d", limit: "1000" }, now)).toMatchObject({
      since: now - 30 * DAY,
      limit: 1000,
    });
  });
});
