import { TandemError } from "../../core/errors.js";
import type { Measurement, MetricVerdict } from "../types.js";

/**
 * Conditions on a scalar measurement: `< 0.01`, `<= 250`, `> 0.05`, `>= 1`, `== 0`, `!= 0`, or an
 * inclusive range `0.1..0.5` (low <= value <= high). A number may end in `%` (`< 1%` is `< 0.01`).
 */
export type Condition =
  | { kind: "compare"; op: "<" | "<=" | ">" | ">=" | "==" | "!="; value: number; text: string }
  | { kind: "range"; low: number; high: number; text: string };

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?%?`;
const COMPARE = new RegExp(String.raw`^\s*(<=|>=|==|!=|<|>)\s*(${NUMBER})\s*$`);
const RANGE = new RegExp(String.raw`^\s*(${NUMBER})\s*\.\.\s*(${NUMBER})\s*$`);
const HINT =
  'write a comparison such as "< 0.01", "<= 250", ">= 1", "== 0", or an inclusive range "0.1..0.5"';

function toNumber(text: string): number {
  return text.endsWith("%") ? Number(text.slice(0, -1)) / 100 : Number(text);
}

/** Parses a condition; throws TandemError TANDEM_ERR_CONFIG with a hint when it cannot. */
export function parseCondition(text: string): Condition {
  const compare = COMPARE.exec(text);
  if (compare) {
    const op = compare[1] as "<" | "<=" | ">" | ">=" | "==" | "!=";
    return { kind: "compare", op, value: toNumber(compare[2] as string), text: text.trim() };
  }
  const range = RANGE.exec(text);
  if (range) {
    const low = toNumber(range[1] as string);
    const high = toNumber(range[2] as string);
    if (low > high)
      throw new TandemError(
        "TANDEM_ERR_CONFIG",
        `condition "${text}": the range's low end ${low} is above its high end ${high}`,
        {
          hint: "write the range as low..high",
        },
      );
    return { kind: "range", low, high, text: text.trim() };
  }
  throw new TandemError("TANDEM_ERR_CONFIG", `cannot read the condition "${text}"`, { hint: HINT });
}

export function holds(condition: Condition, x: number): boolean {
  if (condition.kind === "range") return x >= condition.low && x <= condition.high;
  switch (condition.op) {
    case "<":
      return x < condition.value;
    case "<=":
      return x <= condition.value;
    case ">":
      return x > condition.value;
    case ">=":
      return x >= condition.value;
    case "==":
      return x === condition.value;
    case "!=":
      return x !== condition.value;
  }
}

/**
 * Argo Rollouts' semantics: a met failureCondition fails (it wins over success); otherwise a met
 * successCondition succeeds; with both given and neither met, inconclusive; with only one given,
 * the other outcome. NaN or absent value: inconclusive, "no data".
 */
export function thresholdJudge(
  condition: { successCondition?: string; failureCondition?: string },
  measurement: Measurement,
): MetricVerdict {
  if (measurement.error !== undefined) return { verdict: "error", reason: measurement.error };
  let success: Condition | undefined;
  let failure: Condition | undefined;
  try {
    success =
      condition.successCondition === undefined ? undefined : parseCondition(condition.successCondition);
    failure =
      condition.failureCondition === undefined ? undefined : parseCondition(condition.failureCondition);
  } catch (error) {
    return { verdict: "error", reason: (error as Error).message };
  }
  if (!success && !failure) return { verdict: "error", reason: "no successCondition or failureCondition" };
  const x = measurement.value;
  if (x === undefined || Number.isNaN(x)) return { verdict: "inconclusive", reason: "no data" };
  const detail = { value: x };
  const shown = formatValue(x);
  if (failure && holds(failure, x))
    return { verdict: "failed", reason: `${shown} ${failure.text} (failureCondition)`, detail };
  if (success && holds(success, x))
    return { verdict: "successful", reason: `${shown} ${success.text} (successCondition)`, detail };
  if (success && failure)
    return {
      verdict: "inconclusive",
      reason: `${shown}: neither ${success.text} nor ${failure.text}`,
      detail,
    };
  if (success)
    return { verdict: "failed", reason: `${shown}: not ${success.text} (successCondition)`, detail };
  return {
    verdict: "successful",
    reason: `${shown}: not ${(failure as Condition).text} (failureCondition)`,
    detail,
  };
}

/** A measured value for people: at most 4 significant digits (`0.03704`, not `0.037037037037037035`). */
export function formatValue(x: number): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}
