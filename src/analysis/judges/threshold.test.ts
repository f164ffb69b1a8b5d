import { describe, expect, it } from "vitest";
import { TandemError } from "../../core/errors.js";
import { holds, parseCondition, thresholdJudge } from "./threshold.js";

const at = (value?: number) => ({ at: 0, value });

describe("parseCondition", () => {
  it("reads comparisons, percentages and inclusive ranges", () => {
    expect(parseCondition("< 0.01")).toMatchObject({ kind: "compare", op: "<", value: 0.01 });
    expect(parseCondition("<=250")).toMatchObject({ op: "<=", value: 250 });
    expect(parseCondition(" >= 1 ")).toMatchObject({ op: ">=", value: 1 });
    expect(parseCondition("== 0")).toMatchObject({ op: "==", value: 0 });
    expect(parseCondition("< 1%")).toMatchObject({ value: 0.01 });
    expect(parseCondition("> -2.5e-3")).toMatchObject({ value: -0.0025 });
    expect(parseCondition("0.1..0.5")).toMatchObject({ kind: "range", low: 0.1, high: 0.5 });
    expect(parseCondition("1 .. 2")).toMatchObject({ kind: "range", low: 1, high: 2 });
  });

  it("throws TANDEM_ERR_CONFIG with a hint", () => {
    for (const bad of ["", "< ", "=< 1", "0.01", "< abc", "1..", "5..1", "< 1 2"]) {
      let caught: unknown;
      try {
        parseCondition(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(TandemError);
      expect((caught as TandemError).code).toBe("TANDEM_ERR_CONFIG");
      expect((caught as TandemError).hint).toBeTruthy();
    }
  });

  it("ranges include both ends", () => {
    const r = parseCondition("0.1..0.5");
    expect([0.1, 0.3, 0.5, 0.09, 0.51].map((x) => holds(r, x))).toEqual([true, true, true, false, false]);
  });
});

describe("thresholdJudge", () => {
  it("failure wins, then success, then the other outcome", () => {
    const both = { successCondition: "< 0.01", failureCondition: "> 0.05" };
    expect(thresholdJudge(both, at(0.001)).verdict).toBe("successful");
    expect(thresholdJudge(both, at(0.1)).verdict).toBe("failed");
    expect(thresholdJudge(both, at(0.02)).verdict).toBe("inconclusive");
    expect(thresholdJudge({ successCondition: "< 0.01" }, at(0.02)).verdict).toBe("failed");
    expect(thresholdJudge({ failureCondition: "> 0.05" }, at(0.02)).verdict).toBe("successful");
    expect(thresholdJudge({ successCondition: ">= 0", failureCondition: ">= 0" }, at(0)).verdict).toBe(
      "failed",
    );
  });

  it("zero is a value, NaN and absent are no data", () => {
    expect(thresholdJudge({ failureCondition: "> 0" }, at(0)).verdict).toBe("successful");
    expect(thresholdJudge({ failureCondition: "> 0" }, at(Number.NaN))).toEqual({
      verdict: "inconclusive",
      reason: "no data",
    });
    expect(thresholdJudge({ failureCondition: "> 0" }, at())).toEqual({
      verdict: "inconclusive",
      reason: "no data",
    });
  });

  it("errors: a provider error, an unreadable or missing condition", () => {
    expect(thresholdJudge({ failureCondition: "> 0" }, { at: 0, error: "exit 2" })).toEqual({
      verdict: "error",
      reason: "exit 2",
    });
    expect(thresholdJudge({ failureCondition: "about 3" }, at(1)).verdict).toBe("error");
    expect(thresholdJudge({}, at(1)).verdict).toBe("error");
  });

  it("says why", () => {
    expect(thresholdJudge({ failureCondition: "> 0.01" }, at(0.021)).reason).toBe(
      "0.021 > 0.01 (failureCondition)",
    );
  });

  it("shows measured values with at most 4 significant digits", () => {
    expect(thresholdJudge({ failureCondition: "> 0.01" }, at(1 / 27)).reason).toBe(
      "0.03704 > 0.01 (failureCondition)",
    );
    expect(thresholdJudge({ successCondition: "< 500" }, at(1234)).reason).toBe(
      "1234: not < 500 (successCondition)",
    );
  });
});
